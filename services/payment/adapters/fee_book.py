"""The fee schedules as payment's database holds them (`fee_schedules`): seeded from the fees file at first use,
then a version per change an administrator makes from a day. Each process keeps them in memory and reads them
again when their mark (count, newest id) moved: one small query per use, so every replica assesses with a change
from its next dossier. Rules in domain/fees.py."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import func, select

from services.payment.adapters.storage import fee_schedules
from services.payment.domain import fees

BEGINNING = date(
    1900, 1, 1
)  # the fees file's schedules: in force "since always" unless they say `valid_from`
SEEDER = "system"


class FeeBook:
    """Every schedule version, by procedure, as of the last `refresh`."""

    def __init__(self, seed: fees.Schedules):
        self.seed = seed  # the fees file, validated at start
        self.book: fees.Book = {}
        self.rows: list[dict] = []
        self.mark: tuple[int, int] | None = None

    def refresh(self, session, now: datetime | None = None) -> None:
        """Read the versions again if they changed; on an empty table, seed it from the fees file first."""
        mark = _mark(session)
        if mark[0] == 0 and self.seed:
            _seed(session, self.seed, now or datetime.now().astimezone())
            mark = _mark(session)
        if mark == self.mark:
            return
        rows = [
            dict(r) for r in session.execute(select(fee_schedules).order_by(fee_schedules.c.id)).mappings()
        ]
        for row in rows:
            row["schedule"] = json.loads(row["schedule"])
        # Replaced together: a green thread reading meanwhile sees the old book or the new one.
        self.book, self.rows, self.mark = fees.book(rows), rows, mark

    def in_force(self, session, procedure_code: str, on: date) -> fees.Version | None:
        """The version of a procedure's schedule in force on `on`, None when it has none."""
        self.refresh(session)
        return fees.in_force(self.book, procedure_code, on)

    def versions(self, procedure_code: str) -> list[dict]:
        """A procedure's versions as of the last `refresh`, by first day (one day's in the order written)."""
        mine = [r for r in self.rows if r["procedure_code"] == procedure_code]
        return sorted(mine, key=lambda r: (r["valid_from"], r["id"]))

    def row(self, version_id: int) -> dict | None:
        return next((r for r in self.rows if r["id"] == version_id), None)


# Built once: read on every fee assessment, building the select each time cost more than running it.
_MARK = select(func.count(), func.max(fee_schedules.c.id))


def _mark(session) -> tuple[int, int]:
    count, newest = session.execute(_MARK).one()
    return int(count or 0), int(newest or 0)


def _seed(session, seed: fees.Schedules, now: datetime) -> None:
    """The fees file's schedules, in the file's order. Two replicas seeding at once may both write: the versions
    are equal, and the first listed of a day wins either way (domain/fees.py book)."""
    for (code, version), raw in seed.items():
        schedule = {"lines": raw.get("lines") or [], "reductions": raw.get("reductions") or []}
        session.execute(
            fee_schedules.insert().values(
                procedure_code=str(code),
                procedure_version=version if isinstance(version, int) else None,
                valid_from=raw.get("valid_from") or BEGINNING,
                schedule=json.dumps(schedule, ensure_ascii=False),
                basis=str(raw.get("basis") or ""),
                origin="file",
                created_by=SEEDER,
                created_at=now,
            )
        )


def add(
    session, procedure_code: str, schedule: fees.Schedule, valid_from: date, basis: str, who: str, now
) -> int:
    result = session.execute(
        fee_schedules.insert().values(
            procedure_code=procedure_code,
            procedure_version=None,
            valid_from=valid_from,
            schedule=json.dumps(schedule, ensure_ascii=False),
            basis=basis,
            origin="admin",
            created_by=who,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])
