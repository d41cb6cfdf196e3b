"""Each service's Alembic migrations produce exactly its SQLAlchemy models (no drift)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from services.chassis.migrate import upgrade
from services.chassis.registry import storage_metadata


@pytest.mark.parametrize("service", ["gateway", "intake", "workflow", "payment", "notify", "registry"])
def test_migrations_match_models(tmp_path, service):
    url = f"sqlite:///{tmp_path}/{service}.db"
    upgrade(service, url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), storage_metadata(service)
        )
    engine.dispose()
    assert diff == []
