"""The change marks every workflow replica reads once per unit of work (storage.catalogue_mark): each kind of
run-time change moves its own revision, in the writer's transaction, and nothing else moves it; migration 0013
starts each kind at the rows it already has, so a seeded database stays seeded."""

from __future__ import annotations

from datetime import date, datetime, timezone

from alembic import command
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from services.chassis.migrate import alembic_config
from services.workflow.adapters import catalogue_store, settings_store, storage, territory_store

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)


def test_each_writer_moves_its_own_kind_and_only_it():
    engine = create_engine("sqlite://")
    storage.metadata.create_all(engine)
    with Session(engine) as session:
        assert storage.catalogue_mark(session) == (0, 0, 0, 0)
        territory_store.record(session, "renamed", "13285", date(2026, 12, 8), {}, "admin", NOW)
        assert storage.catalogue_mark(session) == (0, 1, 0, 0)
        settings_store.add(session, "due_soon_working_days", "3", date(2026, 12, 8), "test", "admin", NOW)
        settings_store.add(session, "receipt_working_days", "1", date(2026, 12, 8), "test", "admin", NOW)
        assert storage.catalogue_mark(session) == (0, 1, 2, 0)
        catalogue_store.add_change(session, "import", "admin", NOW, {"rows": 1})
        assert storage.catalogue_mark(session) == (0, 1, 2, 1)
        storage.bump_mark(session, "calendar")
        session.commit()
    with Session(engine) as session:  # committed with the change: what another replica reads next
        assert storage.catalogue_mark(session) == (1, 1, 2, 1)


def test_migration_starts_each_kind_at_the_rows_it_has(tmp_path):
    url = f"sqlite:///{tmp_path / 'workflow.db'}"
    config = alembic_config("workflow", url)
    command.upgrade(config, "0012")
    engine = create_engine(url)
    with engine.begin() as conn:
        for n in range(3):
            conn.execute(
                insert(storage.unit_changes).values(
                    change="seeded" if n == 0 else "renamed",
                    code="37",
                    details="{}",
                    changed_by="seed",
                    changed_at=NOW,
                )
            )
        conn.execute(
            insert(storage.catalogue_changes).values(kind="import", at=NOW, by="admin", details="{}")
        )
    command.upgrade(config, "head")
    with Session(engine) as session:
        assert storage.catalogue_mark(session) == (0, 3, 0, 1)
        rows = dict(
            session.execute(select(storage.change_marks.c.name, storage.change_marks.c.revision)).all()
        )
    assert rows == {"calendar": 0, "units": 3, "settings": 0, "catalogue": 1}
