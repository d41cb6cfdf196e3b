"""Configuration from environment variables, with safe local defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

# Metrics ports per service (gateway 9100, then intake..registry 9101-9105), as documented in the README.
METRICS_PORTS = {
    "gateway": 9100,
    "intake": 9101,
    "workflow": 9102,
    "payment": 9103,
    "notify": 9104,
    "registry": 9105,
}
SERVICES = tuple(METRICS_PORTS)


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def database_url(service: str) -> str:
    """The service's own database.

    `<SERVICE>_DATABASE_URL` wins; then `DATABASE_URL`, where `{service}` is replaced by the service name so one
    value can serve six databases (e.g. `postgresql+psycopg2://u@db/motcua_{service}`); then a SQLite file under
    `var/data/`.
    """
    specific = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if specific:
        return specific
    shared = os.environ.get("DATABASE_URL")
    if shared:
        return shared.replace("{service}", service)
    data_dir = Path(_env("MOTCUA_DATA_DIR", str(REPO_ROOT / "var" / "data")))
    return f"sqlite:///{data_dir / (service + '.db')}"


@dataclass(frozen=True)
class Settings:
    """Everything a service reads from its environment."""

    service: str
    # "local" only when MOTCUA_ENV says so explicitly; anything else is production (see load()).
    env: str = "production"
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    database_url: str = ""
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    log_level: str = "INFO"
    max_workers: int = 10
    # Attempts before an event that keeps failing goes to its dead-letter queue.
    max_delivery_attempts: int = 5
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    mail_from: str = "Một cửa điện tử <motcua@localhost>"
    # Right-hand side of notification Message-IDs; empty = the domain of mail_from (notify/domain/identity.py).
    message_id_domain: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    public_url: str = "http://localhost:8000"
    # Retention of rows kept only for delivery or deduplication (Database.purge_expired); audit and business
    # rows are never purged. Sent outbox rows: kept a while for investigations, the broker already has them.
    outbox_retention_hours: int = 168
    # Inbox rows deduplicate consumed events, so they must outlive every way a copy of an event can still
    # arrive: broker redelivery, a relay republishing after a crash, and above all a dead letter re-queued by an
    # operator (`python -m services.chassis.deadletters requeue`) days later. Purged earlier, such a copy would
    # be processed a second time.
    inbox_retention_hours: int = 720
    # Idempotency keys: a client retries within minutes or hours; a week covers a retry after a long outage.
    idempotency_retention_hours: int = 168
    # How often each replica runs the purge (the first run at a random point of the first interval).
    housekeeping_every_seconds: int = 3600
    # Secret used to derive opaque applicant references; the local default is for development only.
    applicant_ref_key: str = field(default="local-development-only", repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.env == "local"

    def nameko_config(self) -> dict[str, Any]:
        """The config dict nameko's ServiceContainer expects, plus ours under MOTCUA."""
        return {
            "AMQP_URI": self.amqp_uri,
            "max_workers": self.max_workers,
            "parent_calls_tracked": 10,
            "WEB_SERVER_ADDRESS": f"{self.http_host}:{self.http_port}",
            "serializer": "json",
            "HEARTBEAT": 30,
            "MOTCUA": self,
        }


def _positive_int(name: str, default: int) -> int:
    """A whole number of at least 1 from the environment; anything else stops the service at start, naming the
    variable (a typo must not silently keep rows forever, or purge them at once)."""
    raw = _env(name, str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number of at least 1, got {raw!r}") from None
    if value < 1:
        raise RuntimeError(f"{name} must be a whole number of at least 1, got {raw!r}")
    return value


def load(service: str) -> Settings:
    """Read the settings of `service` from the environment."""
    # Safe by default: only an explicit MOTCUA_ENV=local turns on development features (the development
    # identity provider, POST /dev/token, /dev-idp/*); unset, empty or any other value means production.
    env = "local" if _env("MOTCUA_ENV", "production").strip() == "local" else "production"
    key = os.environ.get("MOTCUA_APPLICANT_REF_KEY", "")
    if not key:
        if env != "local":
            raise RuntimeError("MOTCUA_APPLICANT_REF_KEY must be set outside local mode")
        key = "local-development-only"
    return Settings(
        service=service,
        env=env,
        amqp_uri=_env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        database_url=database_url(service),
        metrics_port=int(_env("METRICS_PORT", str(METRICS_PORTS.get(service, 0)))),
        metrics_host=_env("METRICS_HOST", "127.0.0.1"),
        log_level=_env("LOG_LEVEL", "INFO"),
        max_workers=int(_env("MAX_WORKERS", "10")),
        max_delivery_attempts=int(_env("MAX_DELIVERY_ATTEMPTS", "5")),
        smtp_host=_env("SMTP_HOST", "127.0.0.1"),
        smtp_port=int(_env("SMTP_PORT", "1025")),
        mail_from=_env("MAIL_FROM", "Một cửa điện tử <motcua@localhost>"),
        message_id_domain=_env("MESSAGE_ID_DOMAIN", ""),
        http_host=_env("HTTP_HOST", "127.0.0.1"),
        http_port=int(_env("HTTP_PORT", "8000")),
        public_url=_env("PUBLIC_URL", "http://localhost:8000"),
        outbox_retention_hours=_positive_int("MOTCUA_OUTBOX_RETENTION_HOURS", 168),
        inbox_retention_hours=_positive_int("MOTCUA_INBOX_RETENTION_HOURS", 720),
        idempotency_retention_hours=_positive_int("MOTCUA_IDEMPOTENCY_RETENTION_HOURS", 168),
        housekeeping_every_seconds=_positive_int("MOTCUA_HOUSEKEEPING_EVERY_SECONDS", 3600),
        applicant_ref_key=key,
    )
