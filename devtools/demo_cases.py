"""Generated dossiers written straight into intake's, workflow's and payment's databases (devtools/demo_data.py):
each dossier filed on a day since 1 July 2025, routed as the catalogue routes it, and taken as far along the
standard process as its age allows (received, assigned, approved, returned...), with its steps, action log, clock
stop, fee request and rating. Deadlines are the legal clock's own (services/workflow/domain/legal_time.py).

PostgreSQL is written with COPY (psycopg2 copy_expert, a few MB at a time, one transaction per database);
another database (SQLite, for tests) with batched inserts through the same tables.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import queue
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from random import Random
from types import SimpleNamespace

from sqlalchemy import delete, func, select

from devtools.demo_data import (
    EMAIL_DOMAIN,
    GENERATED_ID_PREFIX,
    GENERATED_MARK,
    GENERATED_PHONE_PREFIX,
    START,
    generated_name,
)
from services.chassis import config
from services.chassis.clock import LEGAL_TZ, legal_day
from services.chassis.sql import make_engine
from services.intake.adapters import storage as intake_db
from services.intake.domain import search as applicant_search
from services.payment.adapters import storage as payment_db
from services.workflow.adapters import datafiles
from services.workflow.adapters import storage as workflow_db
from services.workflow.domain.legal_time import LegalClock

# The agency kinds whose dossiers pile up: land and environment dossiers wait longest in every province, so one
# department's queue is the busy queue the benchmarks page through (over 10,000 open dossiers at province scale).
BACKLOG = {"agriculture_environment": 0.2}
STUCK = 0.004  # share of older dossiers elsewhere still open (overdue)
FLUSH_BYTES = 8 << 20

TABLES = {
    "intake": [intake_db.dossiers, intake_db.dossier_sequences, intake_db.dossier_search_terms],
    "workflow": [
        workflow_db.cases,
        workflow_db.case_steps,
        workflow_db.case_pauses,
        workflow_db.case_actions,
        workflow_db.ratings,
    ],
    "payment": [payment_db.payments],
}


def load_catalogue(directory: Path) -> SimpleNamespace:
    """Territory, procedures and the legal clock of a catalogue directory, through the workflow's loaders."""
    territory = datafiles.load_territory(directory / "units-2level.yaml")
    procedures = datafiles.load_procedures(directory / "procedures.yaml")
    clock = LegalClock(datafiles.load_calendar(directory / "calendars", "NB"))
    return SimpleNamespace(territory=territory, procedures=procedures, clock=clock)


# -- writers -----------------------------------------------------------------------------------------------------
def _text(value) -> str:
    """A value in COPY's text format (generated text holds no tab, newline or backslash)."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return "\\N"
    if kind is datetime:
        return value.isoformat()
    return str(value)


class Writer:
    """Rows of one service's tables: COPY on PostgreSQL, batched inserts elsewhere; one transaction."""

    def __init__(self, service: str, replace: bool):
        self.engine = make_engine(config.database_url(service))
        self.copy = self.engine.dialect.name == "postgresql"
        self.tables = {t.name: t for t in TABLES[service]}
        self.columns = {name: _columns(t) for name, t in self.tables.items()}
        self.buffers: dict[str, list] = {name: [] for name in self.tables}
        self.sizes: Counter = Counter()
        self.counts: Counter = Counter()
        self.conn = self.engine.raw_connection() if self.copy else self.engine.connect()
        self._empty(service, replace)
        # COPY runs on a thread of its own (psycopg2 lets go of the GIL while PostgreSQL reads): the next rows are
        # made on one core while the database stores the last ones on the other. In order, on one connection.
        self.pending: queue.Queue = queue.Queue(maxsize=4)
        self.failed: list[BaseException] = []
        self.copier = threading.Thread(target=self._copy_loop, daemon=True)
        if self.copy:
            self.copier.start()

    def _copy_loop(self) -> None:
        while (job := self.pending.get()) is not None:
            table, data = job
            try:
                if not self.failed:
                    with self.conn.cursor() as cur:
                        cur.copy_expert(f"COPY {table} ({', '.join(self.columns[table])}) FROM STDIN", data)
            except BaseException as exc:  # handed to the generating thread, which stops
                self.failed.append(exc)

    def _empty(self, service: str, replace: bool) -> None:
        if replace and self.copy:
            with self.conn.cursor() as cur:
                cur.execute(f"TRUNCATE {', '.join(self.tables)} CASCADE")
            return
        for table in reversed(list(self.tables.values())):
            if replace:
                self._execute(delete(table))
            elif self._scalar(select(func.count()).select_from(table)):
                raise SystemExit(f"{service}.{table.name} is not empty: pass --replace to empty it first")

    def _execute(self, statement) -> None:
        if self.copy:
            with self.conn.cursor() as cur:
                cur.execute(str(statement.compile(self.engine)))
        else:
            self.conn.execute(statement)

    def _scalar(self, statement):
        if self.copy:
            with self.conn.cursor() as cur:
                cur.execute(str(statement.compile(self.engine)))
                return cur.fetchone()[0]
        return self.conn.execute(statement).scalar()

    def add(self, table: str, row: tuple) -> None:
        self.counts[table] += 1
        if self.copy:
            line = "\t".join(map(_text, row))
            self.buffers[table].append(line)
            self.sizes[table] += len(line) + 1
            if self.sizes[table] > FLUSH_BYTES:
                self.flush_all()
        else:
            self.buffers[table].append(dict(zip(self.columns[table], row, strict=True)))
            if len(self.buffers[table]) >= 2000:
                self.flush_all()

    def flush_all(self) -> None:
        """Every table, parents first (the action log's foreign key needs its case written)."""
        for table in self.tables:
            self.flush(table)

    def flush(self, table: str) -> None:
        rows, self.buffers[table], self.sizes[table] = self.buffers[table], [], 0
        if not rows:
            return
        if self.failed:
            raise self.failed[0]
        if self.copy:
            self.pending.put((table, io.StringIO("\n".join(rows) + "\n")))
        else:
            self.conn.execute(self.tables[table].insert(), rows)

    def commit(self) -> None:
        self.flush_all()
        if self.copy:
            self.pending.put(None)
            self.copier.join()
            if self.failed:
                raise self.failed[0]
        self.conn.commit()
        if self.copy:
            # As a database that has run for a while: statistics gathered, pages marked all-visible by a vacuum
            # (what autovacuum does after such inserts), so index-only scans are what they would be.
            # On the driver's own connection: the pool's proxy does not pass the attribute on.
            driver = self.conn.driver_connection
            driver.autocommit = True
            with driver.cursor() as cur:
                for table in self.tables:
                    cur.execute(f"VACUUM (ANALYZE) {table}")
        self.conn.close()
        self.engine.dispose()


COLUMNS = {
    "dossiers": None,  # every column
    "dossier_sequences": None,
    "dossier_search_terms": None,
    "cases": None,
    "case_steps": [
        "dossier_code",
        "seq",
        "agency_code",
        "level",
        "budget_days",
        "started_at",
        "due_at",
        "ended_at",
        "outcome",
        "handed_to",
    ],
    "case_pauses": ["dossier_code", "started_at", "ended_at", "reason"],
    "case_actions": [
        "dossier_code",
        "seq",
        "action",
        "from_status",
        "to_status",
        "actor",
        "unit",
        "reason",
        "at",
        "client_txn_id",
        "params",
        "attachments",
    ],
    "ratings": None,
    "payments": None,
}


def _columns(table) -> list[str]:
    return COLUMNS[table.name] or [c.name for c in table.columns]


# -- one dossier -------------------------------------------------------------------------------------------------
@dataclass
class Case:
    """What happened to one generated dossier, as the rows the platform would have written."""

    code: str
    procedure: object
    agency: str
    commune: str
    submitted: datetime
    channel: str
    applicant: int
    status: str = "submitted"
    agency_now: str = ""
    received: datetime | None = None
    due: datetime | None = None
    explanation: str = "{}"
    finished: datetime | None = None
    outcome: str = ""
    assignee: str = ""
    paused: datetime | None = None
    updated: datetime | None = None
    steps: list[tuple] = field(default_factory=list)
    actions: list[tuple] = field(default_factory=list)


class Deadlines:
    """The legal clock's due dates, remembered per (day of receipt, working days): generating a million cases
    asks the same few thousand questions."""

    def __init__(self, clock: LegalClock):
        self.clock = clock
        self.known: dict[tuple[date, int], tuple[datetime, str]] = {}

    def due(self, start: datetime, days: int) -> tuple[datetime, str]:
        key = (legal_day(start), days)
        if key not in self.known:
            deadline = self.clock.deadline(start, days)
            explanation = dict(deadline.explanation, received_at="@RECEIVED@")
            self.known[key] = (
                deadline.due_at.astimezone(timezone.utc),
                json.dumps(explanation, ensure_ascii=False),
            )
        due, text = self.known[key]
        return due, text.replace("@RECEIVED@", start.astimezone(LEGAL_TZ).isoformat())

    def classify(self, finished: datetime, due: datetime) -> str:
        return self.clock.classify(finished, due)

    def working(self, moment: datetime) -> datetime:
        """`moment`, or 08:00 of the next working day when it falls on a day off (receipt happens at work)."""
        day = legal_day(moment)
        if self.clock.calendar.is_working_day(day):
            return moment
        following = self.clock.calendar.next_working_day(day)
        return (
            datetime.combine(following, datetime.min.time(), tzinfo=LEGAL_TZ)
            .replace(hour=8)
            .astimezone(timezone.utc)
        )


@dataclass
class Context:
    catalogue: SimpleNamespace
    deadlines: Deadlines
    staff: dict[str, dict[str, list[str]]]
    now: datetime
    ref_key: str
    stats: Counter = field(default_factory=Counter)

    def officer(self, rng: Random, agency: str, role: str) -> str:
        people = self.staff.get(agency, {})
        chosen = people.get(role) or people.get("handler") or next(iter(people.values()), None)
        return rng.choice(chosen) if chosen else "system"


def _action(case: Case, action: str, to: str, actor: str, at: datetime, params: dict | None = None) -> None:
    from_status = case.status
    case.actions.append(
        (action, from_status, to, actor, case.agency_now or case.agency, at, json.dumps(params or {}), "")
    )
    case.status = to
    case.updated = at


def _advance(ctx: Context, rng: Random, case: Case) -> None:
    """Take the case as far as its age allows: receipt, then processing to a result (or an open state)."""
    procedure = case.procedure
    if case.channel == "counter":
        received = case.submitted
    else:
        received = ctx.deadlines.working(case.submitted + timedelta(hours=rng.uniform(0.3, 30)))
    if received > ctx.now or rng.random() < 0.01 and ctx.now - case.submitted < timedelta(days=3):
        return  # still waiting in the receipt queue
    receiver = ctx.officer(rng, case.agency, "receiver")
    if rng.random() < 0.02:
        _action(case, "refuse_receipt", "refused", receiver, received)
        case.finished = received
        return
    case.received, case.agency_now = received, case.agency
    case.due, case.explanation = ctx.deadlines.due(received, procedure.processing_days)
    _action(case, "receive", "received", receiver, received, {"to_agency": case.agency})
    span = (case.due - received) * rng.triangular(0.15, 1.35, 0.7)
    end = received + max(span, timedelta(hours=2))
    stuck = rng.random() < BACKLOG.get(procedure.agency_kind, STUCK)
    _work(ctx, rng, case, received, end, open_now=stuck or end > ctx.now)


def _work(ctx: Context, rng: Random, case: Case, received: datetime, end: datetime, open_now: bool) -> None:
    """From receipt to `end` (the result returned), or to where the case stands now when it is still open."""
    stop = min(end, ctx.now) if open_now else end
    progress = 1.0 if not open_now else min(1.0, (stop - received) / max(end - received, timedelta(hours=1)))
    if open_now and progress < 0.15:
        _steps(ctx, case, received, received, end, open_now=True)
        return
    leader = ctx.officer(rng, case.agency, "leader")
    case.assignee = ctx.officer(rng, case.agency, "handler")
    _action(
        case, "assign", "in_progress", leader, received + (stop - received) * 0.1, {"assignee": case.assignee}
    )
    _steps(ctx, case, received, stop, end, open_now)
    if open_now:
        _open_state(rng, case, received, stop, progress, leader)
        return
    _finish(ctx, rng, case, received, end, leader)


def _open_state(
    rng: Random, case: Case, received: datetime, stop: datetime, progress: float, leader: str
) -> None:
    if progress < 0.8 and rng.random() < 0.12:
        paused = received + (stop - received) * 0.6
        _action(case, "request_supplement", "awaiting_supplement", case.assignee, paused)
        case.paused = paused
    elif 0.8 <= progress < 1.0:
        _action(case, "approve", "approved", leader, received + (stop - received) * 0.9)
        if progress > 0.9:
            _action(case, "result_ready", "result_ready", case.assignee, stop)


def _finish(ctx: Context, rng: Random, case: Case, received: datetime, end: datetime, leader: str) -> None:
    """A closed case: returned with its result (most), else withdrawn by the applicant or stopped."""
    roll = rng.random()
    if roll < 0.025:
        _action(case, "withdraw", "withdrawn", f"{GENERATED_ID_PREFIX}{case.applicant:09d}", end)
    elif roll < 0.04:
        _action(case, "stop", "stopped", leader, end)
    else:
        _action(case, "approve", "approved", leader, received + (end - received) * 0.8)
        _action(case, "result_ready", "result_ready", case.assignee, received + (end - received) * 0.9)
        _action(case, "return_result", "returned", ctx.officer(rng, case.agency, "receiver"), end)
        case.outcome = ctx.deadlines.classify(end, case.due)
    case.finished = end


def _steps(
    ctx: Context, case: Case, received: datetime, stop: datetime, end: datetime, open_now: bool
) -> None:
    """One step per agency on the path (three for a chained land procedure), each with its own budget; the case
    sits with the agency of its running step."""
    chain = case.procedure.chain or ({"days": case.procedure.processing_days},)
    path = _path(ctx, case, chain)
    total = max(sum(s["days"] for s in chain), 1)
    start, done = received, 0
    for seq, (step, (agency, level)) in enumerate(zip(chain, path, strict=True), start=1):
        done += step["days"]
        finish = received + (end - received) * (done / total)
        due, _ = ctx.deadlines.due(start, step["days"])
        ended = finish if not open_now or finish <= stop else None
        handed = path[seq][0] if ended and seq < len(path) else ""
        outcome = ctx.deadlines.classify(finish, due) if ended else ""
        case.steps.append((seq, agency, level, step["days"], start, due, ended, outcome, handed))
        case.agency_now = agency
        if ended is None:
            return
        if handed:
            _action(case, "transfer", case.status, case.assignee or "system", finish, {"to_agency": handed})
        start = finish


def _path(ctx: Context, case: Case, chain) -> list[tuple[str, str]]:
    territory = ctx.catalogue.territory
    if not case.procedure.chain:
        agency = territory.agencies[case.agency]
        return [(agency.code, territory.level_of(agency))]
    found = []
    for step in chain:
        agency = territory.chain_agency(step, case.commune)
        found.append((agency.code, territory.level_of(agency)))
    return found


# -- rows --------------------------------------------------------------------------------------------------------
def _applicant(ctx: Context, n: int) -> tuple[str, str, str]:
    """A generated applicant: ID number (reserved prefix 000), its reference as intake computes it, name."""
    id_number = f"{GENERATED_ID_PREFIX}{n:09d}"
    ref = hmac.new(ctx.ref_key.encode(), id_number.encode(), hashlib.sha256).hexdigest()[:32]
    return id_number, ref, generated_name(Random(n))


def _emit(ctx: Context, rng: Random, case: Case, writers: dict[str, Writer]) -> None:
    procedure, code = case.procedure, case.code
    id_number, ref, name = _applicant(ctx, case.applicant)
    submitter = id_number if case.channel == "online" else ctx.officer(rng, case.agency, "receiver")
    phone = f"{GENERATED_PHONE_PREFIX}{case.applicant % 10**7:07d}"
    writers["intake"].add(
        "dossiers",
        (code, procedure.code, procedure.version, case.agency, id_number, ref, name, case.commune,
         f"gen-applicant-{case.applicant}@{EMAIL_DOMAIN}", phone,
         "vi", case.channel, '{"generated": true}', submitter, case.submitted),
    )  # fmt: skip
    # What the officers' queue finds the dossier by (name words, ID number, phone), as intake writes at filing.
    for term in applicant_search.terms_for(name, id_number, phone):
        writers["intake"].add("dossier_search_terms", (term, case.agency, code))
    level = ctx.catalogue.territory.agency_unit_level(case.agency_now or case.agency)
    overdue = case.due if case.due and case.due < ctx.now and case.status not in TERMINAL else None
    writers["workflow"].add(
        "cases",
        (code, procedure.code, procedure.version, case.agency_now or case.agency, level, case.agency, case.commune,
         ref, case.status, case.submitted, case.received, case.due, case.explanation, case.updated or case.submitted,
         procedure.process, case.assignee, 0, case.paused, case.finished, case.outcome, overdue, overdue,
         case.channel, *(case.steps[0][1:3] if case.steps else ("", ""))),
    )  # fmt: skip
    for step in case.steps:
        writers["workflow"].add("case_steps", (code, *step))
    if procedure.fee_vnd and case.received:
        _payment(rng, case, name, writers)
    for seq, (action, from_s, to_s, actor, unit, at, params, reason) in enumerate(case.actions, start=1):
        row = (code, seq, action, from_s, to_s, actor, unit, reason, at, None, params, "[]")
        writers["workflow"].add("case_actions", row)
    if case.paused:
        writers["workflow"].add("case_pauses", (code, case.paused, None, f"{GENERATED_MARK} Bổ sung giấy tờ"))
    if case.status == "returned" and rng.random() < 0.2:
        writers["workflow"].add("ratings", (code, rng.choice((3, 4, 4, 5, 5, 5)), "", case.finished))
    ctx.stats[case.status] += 1
    if case.status not in TERMINAL:
        ctx.stats[f"open@{case.agency_now or case.agency}"] += 1


TERMINAL = ("refused", "returned", "stopped", "withdrawn")


def _payment(rng: Random, case: Case, payer: str, writers: dict[str, Writer]) -> None:
    """The fee request made at receipt; paid online (the case's log gets its fee_paid entry, between receipt and
    the next action) for most cases that got past receipt, else pending, or expired once the case is closed."""
    amount, created = case.procedure.fee_vnd, case.received
    paid = len(case.actions) > 1 and rng.random() < 0.8
    status = "paid" if paid else ("expired" if case.status in TERMINAL else "pending")
    paid_at = created + (case.actions[1][5] - created) * 0.5 if paid else None
    txn = f"GEN{rng.getrandbits(40):013d}" if paid else None
    line = {
        "code": "LP",
        "name": f"{GENERATED_MARK} Lệ phí",
        "quantity": 1,
        "unit_amount": amount,
        "amount": amount,
    }
    assessment = {
        "lines": [line],
        "subtotal": amount,
        "reduction": 0,
        "reduction_reason": "",
        "total": amount,
    }
    writers["payment"].add(
        "payments",
        (str(uuid.UUID(int=rng.getrandbits(128), version=4)), case.code, amount,
         json.dumps(assessment, ensure_ascii=False), payer, status, created, created + timedelta(days=30), paid_at,
         txn, txn, 0),
    )  # fmt: skip
    if paid:
        status_then, receipt = case.actions[0][2], json.dumps({"receipt_number": txn})
        reason = f"Biên lai {txn}: {amount:,} đồng".replace(",", ".")
        case.actions.insert(
            1, ("fee_paid", status_then, status_then, "payment", case.agency, paid_at, receipt, reason)
        )


# -- the run -----------------------------------------------------------------------------------------------------
def _staff(people: list[dict]) -> dict[str, dict[str, list[str]]]:
    staff: dict[str, dict[str, list[str]]] = {}
    for person in people:
        for role in person["roles"]:
            staff.setdefault(person["unit"], {}).setdefault(role, []).append(person["subject"])
    return staff


def _days(now: datetime, count: int, clock: LegalClock) -> list[tuple[date, int]]:
    """How many dossiers are filed each day from START to today: working days full, days off a few (online)."""
    today = legal_day(now)
    days = [START + timedelta(days=i) for i in range((today - START).days + 1)]
    weights = [1.0 if clock.calendar.is_working_day(d) else 0.08 for d in days]
    total, running, counts = sum(weights), 0.0, []
    for weight in weights:  # rounded on the running total: the counts add up to `count` exactly
        before = round(running)
        running += count * weight / total
        counts.append(round(running) - before)
    return list(zip(days, counts, strict=True))


def _choices(catalogue: SimpleNamespace, staff: dict) -> tuple[list, list[float], list[str]]:
    """Procedures with their popularity (a few are filed often, most rarely) and the communes applicants live
    in (those whose committee has officers: at small scale, not every commune)."""
    procedures = sorted(catalogue.procedures.values(), key=lambda p: p.code)
    weights, running = [], 0.0
    for i in range(len(procedures)):
        running += 1.0 / (1 + i % 97)
        weights.append(running)  # cumulative, as rng.choices takes them
    territory = catalogue.territory
    communes = sorted(
        a.unit for a in territory.agencies.values() if territory.level_of(a) == "commune" and a.code in staff
    )
    return procedures, weights, communes


def _route(catalogue: SimpleNamespace, procedure, commune: str) -> str:
    territory = catalogue.territory
    if procedure.chain:
        return territory.chain_agency(procedure.chain[0], commune).code
    return territory.competent_agency(procedure, commune).code


def write_dossiers(
    catalogue: SimpleNamespace, people: list[dict], count: int, seed: int, replace: bool
) -> dict:
    """`count` dossiers into the three databases; counts, open dossiers of the busiest queues, seconds."""
    started = time.perf_counter()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    settings = config.load("intake")
    staff = _staff(people)
    ctx = Context(catalogue, Deadlines(catalogue.clock), staff, now, settings.applicant_ref_key)
    writers = {service: Writer(service, replace) for service in TABLES}
    procedures, weights, communes = _choices(catalogue, staff)
    persons = max(1000, count * 2 // 5)
    for n, (day, filed) in enumerate(_days(now, count, catalogue.clock)):
        rng = Random(seed * 1_000_003 + n)
        numbers: Counter = Counter()
        for procedure in rng.choices(procedures, cum_weights=weights, k=filed):
            commune = rng.choice(communes)
            agency = _route(catalogue, procedure, commune)
            numbers[agency] += 1
            case = _new_case(rng, procedure, agency, commune, day, numbers[agency], persons)
            if case.submitted > now:
                case.submitted = now - timedelta(minutes=rng.randint(1, 600))
            _advance(ctx, rng, case)
            _emit(ctx, rng, case, writers)
        for agency, last in numbers.items():
            writers["intake"].add("dossier_sequences", (agency, day, last))
    generated = time.perf_counter() - started
    for writer in writers.values():
        writer.commit()
    return _summary(ctx, writers, count, generated, time.perf_counter() - started)


def _new_case(
    rng: Random, procedure, agency: str, commune: str, day: date, number: int, persons: int
) -> Case:
    counter = rng.random() < 0.35
    hour = rng.uniform(7.5, 17) if counter else rng.triangular(6, 23, 10)
    local = datetime.combine(day, datetime.min.time(), tzinfo=LEGAL_TZ) + timedelta(hours=hour)
    submitted = local.astimezone(timezone.utc).replace(microsecond=0)
    code = f"{agency}-{day:%y%m%d}-{number:04d}"
    return Case(
        code,
        procedure,
        agency,
        commune,
        submitted,
        "counter" if counter else "online",
        rng.randrange(persons),
    )


def _summary(ctx: Context, writers: dict[str, Writer], count: int, generated: float, total: float) -> dict:
    busiest = sorted(
        ((k.removeprefix("open@"), v) for k, v in ctx.stats.items() if k.startswith("open@")),
        key=lambda kv: -kv[1],
    )
    return {
        "dossiers": count,
        "rows": {f"{s}.{t}": n for s, w in writers.items() for t, n in sorted(w.counts.items())},
        "statuses": {k: v for k, v in sorted(ctx.stats.items()) if "@" not in k},
        "busiest_queues": dict(busiest[:5]),
        "dossiers_generated_s": round(generated, 2),
        "dossiers_written_s": round(total, 2),
    }
