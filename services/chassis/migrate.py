"""Migrate services' databases to the latest schema: `python -m services.chassis.migrate [service ...]`.

On PostgreSQL the service's database is created first if it does not exist yet.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.chassis import config
from services.chassis.registry import SERVICE_CLASSES, storage_metadata

SERVICES_DIR = Path(__file__).resolve().parents[1]


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    cfg.attributes["database_url"] = url
    return cfg


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def upgrade(service: str, url: str | None = None) -> None:
    url = url or config.database_url(service)
    ensure_database(url)
    command.upgrade(alembic_config(service, url), "head")


def services_with_database() -> list[str]:
    """The services that own a database: those with migrations and storage metadata (what `main` migrates by
    default, and what `python -m devtools.backup` backs up)."""
    return [
        s
        for s in SERVICE_CLASSES
        if (SERVICES_DIR / s / "migrations").is_dir() and storage_metadata(s) is not None
    ]


def main(argv: list[str]) -> int:
    services = argv or services_with_database()
    for service in services:
        if storage_metadata(service) is None:
            continue
        upgrade(service)
        print(f"migrated {service}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
