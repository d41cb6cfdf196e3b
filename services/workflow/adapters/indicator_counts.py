"""The service-quality indicators counted by the database: the counts services/workflow/domain/indicators.py
`count` makes over every row (docs/statistics.md), as nine aggregate queries, each over the rows of its period
or the open cases only (by the indexes of migration 0009), so a month of a province holding a million dossiers is
not read into the service. tests/unit/workflow/test_indicator_counts.py checks that both give the same answer.

Each dossier counts for the agency of its first step, which the case carries (first_agency_code, first_level:
written with the first step at receipt, moved with it by a unit merge); a dossier with no step yet is waiting for
receipt. Periods are legal days (Asia/Ho_Chi_Minh), turned into UTC bounds here: a moment is in the period when it
falls on or after the first day's midnight and before the midnight after the last day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import and_, case, exists, func, or_, select, text

from services.chassis.clock import LEGAL_TZ
from services.workflow.adapters import storage
from services.workflow.domain import indicators

cases, steps, actions, ratings = storage.cases, storage.case_steps, storage.case_actions, storage.ratings


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _midnight(day) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LEGAL_TZ).astimezone(timezone.utc)


def _in_period(column, scope: indicators.Scope):
    found = [column.is_not(None)]
    if scope.first is not None:
        found.append(column >= _midnight(scope.first))
    if scope.last is not None:
        found.append(column < _midnight(scope.last + timedelta(days=1)))
    return and_(*found)


def _holds(agency, level, scope: indicators.Scope) -> list:
    found = []
    if scope.agencies is not None:
        found.append(agency.in_(sorted(scope.agencies)))
    if scope.level is not None:
        found.append(level == scope.level)
    return found


def _procedure(scope: indicators.Scope) -> list:
    return [cases.c.procedure_code == scope.procedure_code] if scope.procedure_code else []


def count(session, scope: indicators.Scope, now: datetime, with_fee: set[str]) -> dict:
    """The indicators of `scope` at `now` (`with_fee`: the procedure codes that charge a fee), as `count` gives
    them."""
    if session.get_bind().dialect.name == "postgresql":
        # Short aggregate queries over index ranges (tens of thousands of entries): compiling them to machine code
        # (JIT) took longer than running them (40 to 80 ms each at a million cases), and on the 2-core machine of
        # docs/performance.md parallel workers cost more to start and gather than they saved (ratings 50 → 25 ms).
        # For this transaction only.
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    return indicators.from_counts(_dossiers(session, scope, now, with_fee), _steps(session, scope, now))


def _dossiers(session, scope: indicators.Scope, now: datetime, with_fee: set[str]) -> dict[str, int]:
    """Each dossier once, for the agency of its first step (the case carries it: first_agency_code, empty while
    it has no step)."""
    base = [
        cases.c.first_agency_code != "",
        *_holds(cases.c.first_agency_code, cases.c.first_level, scope),
        *_procedure(scope),
    ]
    tally = _received(session, base, scope, with_fee)
    tally.update(_finished(session, base, scope))
    overdue = and_(cases.c.due_at.is_not(None), cases.c.due_at < now, cases.c.paused_since.is_(None))
    open_now = session.execute(
        select(func.count(), _sum(overdue)).where(*base, cases.c.status.not_in(indicators.TERMINAL))
    ).one()
    tally.update(in_progress=open_now[0], overdue=open_now[1], waiting=_waiting(session, scope))
    return tally


def _received(session, base: list, scope: indicators.Scope, with_fee: set[str]) -> dict[str, int]:
    """Received in the period, filed online, charged a fee and paid online: by procedure, so the fee is the
    catalogue's (the database does not hold it). Paid ones in a query of their own, where the database can take
    the fee payments as a set instead of looking each dossier up."""
    received = [*base, _in_period(cases.c.received_at, scope)]
    rows = session.execute(
        select(cases.c.procedure_code, func.count(), _sum(cases.c.channel == "online"))
        .where(*received)
        .group_by(cases.c.procedure_code)
    ).all()
    paid = exists().where(actions.c.dossier_code == cases.c.dossier_code, actions.c.action == "fee_paid")
    charging = cases.c.procedure_code.in_(sorted(with_fee))  # only those count: no look-up for the others
    paid_rows = session.execute(
        select(cases.c.procedure_code, func.count())
        .where(*received, charging, paid)
        .group_by(cases.c.procedure_code)
    ).all()
    return {
        "received": sum(r[1] for r in rows),
        "online": sum(r[2] for r in rows),
        "charged": sum(r[1] for r in rows if r[0] in with_fee),
        "paid_online": sum(r[1] for r in paid_rows if r[0] in with_fee),
    }


def _finished(session, base: list, scope: indicators.Scope) -> dict[str, int]:
    """Returned in the period, by on-time result; the ratings of those dossiers."""
    finished = [*base, cases.c.status == "returned", _in_period(cases.c.finished_at, scope)]
    rows = session.execute(
        select(cases.c.outcome, func.count()).where(*finished).group_by(cases.c.outcome)
    ).all()
    rated, score_sum = session.execute(
        select(func.count(), func.coalesce(func.sum(ratings.c.score), 0))
        .select_from(cases.join(ratings, ratings.c.dossier_code == cases.c.dossier_code))
        .where(*finished)
    ).one()
    tally = {outcome: n for outcome, n in rows if outcome in ("early", "on_time", "late")}
    return {**tally, "rated": rated, "score_sum": score_sum}


def _waiting(session, scope: indicators.Scope) -> int:
    """Filed, no step yet (not received), held by an agency of the scope: the one it was routed to, else the
    receiving desk; either may be the scope's."""
    held = case((cases.c.agency_code != "", cases.c.agency_code), else_=cases.c.receiving_agency_code)
    found = [
        cases.c.status.in_(indicators.WAITING),
        ~exists().where(steps.c.dossier_code == cases.c.dossier_code),
        *_procedure(scope),
    ]
    if scope.agencies is not None:
        agencies = sorted(scope.agencies)
        found.append(or_(held.in_(agencies), cases.c.receiving_agency_code.in_(agencies)))
    if scope.level is not None:
        found.append(cases.c.level == scope.level)
    return int(session.execute(select(func.count()).select_from(cases).where(*found)).scalar_one())


def _steps(session, scope: indicators.Scope, now: datetime) -> dict[str, int]:
    """Each agency for its own step: started in the period, ended in it (by on-time result), open now."""
    joined = steps.join(cases, cases.c.dossier_code == steps.c.dossier_code)
    source = joined if scope.procedure_code else steps  # the case is needed for its procedure only
    base = [*_holds(steps.c.agency_code, steps.c.level, scope), *_procedure(scope)]
    received = session.execute(
        select(func.count()).select_from(source).where(*base, _in_period(steps.c.started_at, scope))
    ).scalar_one()
    ended = session.execute(
        select(steps.c.outcome, func.count())
        .select_from(source)
        .where(*base, _in_period(steps.c.ended_at, scope))
        .group_by(steps.c.outcome)
    ).all()
    overdue = and_(steps.c.due_at < now, cases.c.paused_since.is_(None))
    open_now = session.execute(
        select(func.count(), _sum(overdue))
        .select_from(joined)
        .where(*base, steps.c.ended_at.is_(None), cases.c.status.not_in(indicators.TERMINAL))
    ).one()
    tally = {outcome: n for outcome, n in ended if outcome in ("early", "on_time", "late")}
    return {**tally, "received": received, "in_progress": open_now[0], "overdue": open_now[1]}
