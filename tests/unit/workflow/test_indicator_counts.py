"""The database's counts (services/workflow/adapters/indicator_counts.py) give the same indicators as the plain
Python count over every row (domain/indicators.py `count`, the rules of docs/statistics.md): on random cases,
steps, payments and ratings with moments on both sides of the period's legal-day bounds, and on generated data
(devtools/demo_data.py), for every kind of scope."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from random import Random

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from devtools import demo_cases, demo_data
from services.chassis.registry import storage_metadata
from services.workflow.adapters import indicator_counts, storage
from services.workflow.domain import indicators

NOW = datetime(2026, 10, 20, 3, 0, tzinfo=timezone.utc)
AGENCIES = {"A1": "province", "A2": "province", "C1": "commune", "C2": "commune"}
STATUSES = ["submitted", "coordination", "received", "in_progress", "awaiting_supplement", "approved"]
STATUSES += ["result_ready", "returned", "refused", "withdrawn", "stopped"]
# Midnight of 1 October 2026 in legal time, and moments around it: the bounds of the period "2026-10".
EDGE = datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc)
EDGES = [
    EDGE,
    EDGE - timedelta(microseconds=1),
    EDGE + timedelta(days=31),
    EDGE + timedelta(days=31, seconds=-1),
]
WITH_FEE = {"P1", "P3"}


def moment(rng: Random, nullable: bool = True) -> datetime | None:
    if nullable and rng.random() < 0.25:
        return None
    if rng.random() < 0.15:
        return rng.choice(EDGES)
    return EDGE + timedelta(minutes=rng.randint(-10 * 1440, 45 * 1440))


def fill(session: Session, rng: Random, n: int) -> None:
    """`n` random cases with 0-3 steps each, some fee_paid entries (some twice) and ratings."""
    for i in range(n):
        code = f"X-{i:05d}"
        status = rng.choice(STATUSES)
        agency = "" if status == "coordination" and rng.random() < 0.6 else rng.choice(list(AGENCIES))
        session.execute(
            storage.cases.insert().values(
                dossier_code=code, procedure_code=rng.choice(["P1", "P2", "P3"]), procedure_version=1,
                agency_code=agency, level=AGENCIES.get(agency, ""), receiving_agency_code=rng.choice(list(AGENCIES)),
                applicant_unit_code="U", applicant_ref="r", status=status, submitted_at=EDGE,
                received_at=moment(rng), due_at=moment(rng), due_explanation="{}", updated_at=EDGE,
                paused_since=moment(rng) if rng.random() < 0.3 else None, finished_at=moment(rng),
                outcome=rng.choice(["early", "on_time", "late", ""]), channel=rng.choice(["online", "counter"]),
            )
        )  # fmt: skip
        for seq in range(1, rng.choice([0, 1, 1, 2, 3]) + 1):
            step_agency = rng.choice(list(AGENCIES))
            if seq == 1:  # the case carries its first step's agency (written with the step, as at receipt)
                session.execute(
                    storage.cases.update()
                    .where(storage.cases.c.dossier_code == code)
                    .values(first_agency_code=step_agency, first_level=AGENCIES[step_agency])
                )
            session.execute(
                storage.case_steps.insert().values(
                    dossier_code=code, seq=seq, agency_code=step_agency, level=AGENCIES[step_agency],
                    budget_days=3, started_at=moment(rng, nullable=False), due_at=moment(rng, nullable=False),
                    ended_at=moment(rng), outcome=rng.choice(["early", "on_time", "late", ""]),
                )
            )  # fmt: skip
        for seq in range(1, rng.choice([0, 0, 1, 2]) + 1):
            session.execute(
                storage.case_actions.insert().values(
                    dossier_code=code, seq=seq, action="fee_paid", from_status=status, to_status=status,
                    actor="payment", unit=agency, reason="", at=EDGE,
                )
            )  # fmt: skip
        if rng.random() < 0.3:
            session.execute(
                storage.ratings.insert().values(dossier_code=code, score=rng.randint(1, 5), rated_at=EDGE)
            )


def in_python(session: Session, scope: indicators.Scope, now: datetime, with_fee: set[str]) -> dict:
    """The reference: every row read, counted by the domain."""
    rows = [dict(r) for r in session.execute(select(storage.cases)).mappings()]
    by_code: dict[str, list[dict]] = {}
    ordered = select(storage.case_steps).order_by(storage.case_steps.c.dossier_code, storage.case_steps.c.seq)
    for step in session.execute(ordered).mappings():
        by_code.setdefault(step["dossier_code"], []).append(dict(step))
    ratings = {r.dossier_code: r.score for r in session.execute(select(storage.ratings)).all()}
    paid_rows = session.execute(
        select(storage.case_actions.c.dossier_code).where(storage.case_actions.c.action == "fee_paid")
    )
    paid = {r.dossier_code for r in paid_rows}
    return indicators.count(rows, by_code, scope, now, ratings=ratings, paid=paid, with_fee=with_fee)


PERIODS = [
    (None, None),
    (date(2026, 10, 1), date(2026, 10, 31)),
    (date(2026, 10, 1), None),
    (None, date(2026, 9, 30)),
]
AGENCY_SETS = [None, frozenset({"A1"}), frozenset({"C1", "C2"}), frozenset()]
SCOPES = [
    indicators.Scope(agencies=agencies, level=level, procedure_code=procedure, first=first, last=last)
    for (first, last), agencies, level, procedure in itertools.product(
        PERIODS, AGENCY_SETS, [None, "commune"], [None, "P1"]
    )
]


@pytest.fixture(scope="module")
def random_cases():
    engine = create_engine("sqlite://")
    storage.metadata.create_all(engine)
    with Session(engine) as session:
        fill(session, Random(2026), 400)
        session.commit()
        yield session
    engine.dispose()


@pytest.mark.parametrize(
    "scope", SCOPES, ids=lambda s: f"{s.first}-{s.last}-{s.agencies}-{s.level}-{s.procedure_code}"
)
def test_the_database_counts_as_the_domain_does(random_cases, scope):
    assert indicator_counts.count(random_cases, scope, NOW, WITH_FEE) == in_python(
        random_cases, scope, NOW, WITH_FEE
    )


def test_generated_province_data_counts_alike(tmp_path, monkeypatch):
    """The same on realistic data: the generator's small scale (chained procedures, clock stops, payments)."""
    engines = {}
    for service in ("intake", "workflow", "payment"):
        engines[service] = create_engine(f"sqlite:///{tmp_path}/{service}.db")
        storage_metadata(service).create_all(engines[service])
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/{{service}}.db")
    monkeypatch.setenv("MOTCUA_ENV", "local")
    demo_data.generate("small", tmp_path / "out", seed=3, replace=False, dossiers=800)
    procedures = demo_cases.load_catalogue(tmp_path / "out" / "catalogue").procedures
    with_fee = {p.code for p in procedures.values() if p.fee_vnd}
    now = datetime.now(timezone.utc)
    month = (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)
    with Session(engines["workflow"]) as session:
        for scope in [
            indicators.Scope(),
            indicators.Scope(
                first=month, last=(month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            ),
            indicators.Scope(agencies=frozenset({"NB37.SO.NNMT"}), first=month),
            indicators.Scope(level="commune", first=month),
        ]:
            assert indicator_counts.count(session, scope, now, with_fee) == in_python(
                session, scope, now, with_fee
            )
    for engine in engines.values():
        engine.dispose()
