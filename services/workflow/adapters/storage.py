"""Workflow storage: cases (one per dossier) and their append-only action log."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
    text,
)

from services.chassis import audit
from services.chassis.sql import UTCDateTime, new_metadata
from services.chassis.statements import prebuilt

metadata = new_metadata()
# Conditions of the partial indexes (migration 0009): open cases (not refused, returned, stopped or withdrawn:
# indicators.TERMINAL), running steps, fee payments in the action log.
OPEN = text("status NOT IN ('refused', 'returned', 'stopped', 'withdrawn')")
OPEN_STEP = text("ended_at IS NULL")
FEE_PAID = text("action = 'fee_paid'")
RECEIVED_INCLUDE = ["procedure_code", "channel", "first_agency_code", "first_level", "dossier_code"]
FINISHED_INCLUDE = ["status", "outcome", "first_agency_code", "first_level", "dossier_code"]
STARTED_INCLUDE = ["agency_code", "level"]
ENDED_INCLUDE = ["outcome", "agency_code", "level"]
OPEN_STEP_INCLUDE = ["dossier_code", "due_at", "level"]
OPEN_INCLUDE = ["paused_since", "first_agency_code", "first_level"]
# The tamper-evident audit chain (officer actions, reads of personal data): services/chassis/audit.py
audit.add_tables(metadata)

cases = Table(
    "cases",
    metadata,
    Column("dossier_code", String(60), primary_key=True),
    Column("procedure_code", String(30), nullable=False),
    Column("procedure_version", Integer, nullable=False),
    Column("agency_code", String(30), nullable=False),  # empty: waiting in the coordination queue
    Column("level", String(20), nullable=False),
    Column("receiving_agency_code", String(30), nullable=False),
    Column("applicant_unit_code", String(30), nullable=False),
    Column("applicant_ref", String(64), nullable=False),
    Column("status", String(30), nullable=False, index=True),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=True),
    Column("due_at", UTCDateTime, nullable=True),
    Column("due_explanation", Text, nullable=False, default="{}"),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("process", String(40), nullable=False, server_default="standard"),
    Column("assignee", String(100), nullable=False, server_default=""),
    Column("extension_days", Integer, nullable=False, server_default="0"),
    Column("paused_since", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("outcome", String(20), nullable=False, server_default=""),  # early | on_time | late
    Column("due_soon_flagged_at", UTCDateTime, nullable=True),
    Column("overdue_flagged_at", UTCDateTime, nullable=True),
    # How it was filed ("online" or "counter", from DossierSubmitted): the online-share indicator counts it.
    Column("channel", String(10), nullable=False, server_default="online"),
    # The work queue (use_cases/worklist.py): a unit's open cases, by agency then status.
    Index("ix_cases_agency_code_status", "agency_code", "status"),
    # The agency that received the dossier (its first step) and that step's level: where statistics count the
    # dossier (docs/statistics.md). Written with the first step, moved with it by a unit merge; empty until
    # received (migration 0009 filled them in from case_steps).
    Column("first_agency_code", String(30), nullable=False, server_default=""),
    Column("first_level", String(20), nullable=False, server_default=""),
    # Statistics read only their period's rows, from the index alone (INCLUDE, on PostgreSQL); the work queue and
    # what is open now, only open cases (a few per cent of a province's million): migration 0009.
    Index("ix_cases_received_at", "received_at", postgresql_include=RECEIVED_INCLUDE),
    Index("ix_cases_finished_at", "finished_at", postgresql_include=FINISHED_INCLUDE),
    Index(
        "ix_cases_open_agency_due",
        "agency_code",
        "due_at",
        "dossier_code",
        postgresql_where=OPEN,
        sqlite_where=OPEN,
        postgresql_include=OPEN_INCLUDE,
    ),
)

case_actions = Table(
    "case_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_code", String(60), ForeignKey("cases.dossier_code"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("action", String(40), nullable=False),
    Column("from_status", String(30), nullable=False),
    Column("to_status", String(30), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("unit", String(30), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("at", UTCDateTime, nullable=False),
    Column("client_txn_id", String(80), nullable=True),
    Column("params", Text, nullable=False, server_default="{}"),
    Column("attachments", Text, nullable=False, server_default="[]"),
    UniqueConstraint("dossier_code", "seq", name="uq_case_actions_dossier_seq"),
    UniqueConstraint("dossier_code", "client_txn_id", name="uq_case_actions_dossier_txn"),
    Index("ix_case_actions_fee_paid", "dossier_code", postgresql_where=FEE_PAID, sqlite_where=FEE_PAID),
)

# One step per agency on the case's path (inter-agency chains), each with its own working-day budget.
case_steps = Table(
    "case_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_code", String(60), ForeignKey("cases.dossier_code"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("agency_code", String(30), nullable=False),
    Column("level", String(20), nullable=False),
    Column("budget_days", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("outcome", String(20), nullable=False, server_default=""),
    Column("handed_to", String(30), nullable=False, server_default=""),
    UniqueConstraint("dossier_code", "seq", name="uq_case_steps_dossier_seq"),
    Index("ix_case_steps_started_at", "started_at", postgresql_include=STARTED_INCLUDE),
    Index("ix_case_steps_ended_at", "ended_at", postgresql_include=ENDED_INCLUDE),
    Index(
        "ix_case_steps_open_agency",
        "agency_code",
        postgresql_where=OPEN_STEP,
        sqlite_where=OPEN_STEP,
        postgresql_include=OPEN_STEP_INCLUDE,
    ),
)

# Clock stops (supplement requests), with their reasons.
case_pauses = Table(
    "case_pauses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_code", String(60), ForeignKey("cases.dossier_code"), nullable=False, index=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("reason", Text, nullable=False),
)

# Administrative unit merges: statistics of a source unit roll up into its successor.
unit_merges = Table(
    "unit_merges",
    metadata,
    Column("source_unit", String(30), primary_key=True),
    Column("successor_unit", String(30), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("merged_at", UTCDateTime, nullable=False),
)

# Signed result documents (services/workflow/adapters/signing.py): one per dossier whose result was issued while signing is
# configured; `pending` until signed (retried by a timer), then `signed`. Revocation is kept here too.
result_documents = Table(
    "result_documents",
    metadata,
    Column("verification_code", String(16), primary_key=True),
    Column("dossier_code", String(60), ForeignKey("cases.dossier_code"), nullable=False, unique=True),
    Column("agency_code", String(30), nullable=False),
    Column("payload", Text, nullable=False),  # the ResultIssued fields, JSON
    Column("status", String(12), nullable=False, index=True),  # pending | signed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("sha256", String(64), nullable=True, index=True),
    Column("file_ref", Text, nullable=False, server_default=""),
    Column("signer", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("signed_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_reason", Text, nullable=False, server_default=""),
)

# National portal synchronisation (services/workflow/adapters/portal.py): one record per dossier status change,
# written in the same transaction as the change, numbered per dossier, sent in order until acknowledged.
portal_sync = Table(
    "portal_sync",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_code", String(60), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("payload", Text, nullable=False),  # the record the portal receives, JSON
    Column("state", String(12), nullable=False, index=True),  # pending | acked
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_until", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("acked_at", UTCDateTime, nullable=True),
    UniqueConstraint("dossier_code", "seq", name="uq_portal_sync_dossier_seq"),
)

# Calendar corrections a province administrator published at run time (a day off or a working day, with the
# notice that decides it): applied on top of the calendar files for every deadline computed after publication.
calendar_corrections = Table(
    "calendar_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # day_off | working_day
    Column("name", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("published_by", String(100), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
)

ratings = Table(
    "ratings",
    metadata,
    Column("dossier_code", String(60), ForeignKey("cases.dossier_code"), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("rated_at", UTCDateTime, nullable=False),
)

# The staff directory (services/workflow/use_cases/staff.py, docs/staff-directory.md): one row per officer, their
# assignment now (agency, roles, title) and their effective dates; `source` says who keeps it (an administrator, or
# the identity provider's claims). The queries are in adapters/staff_store.py.
officers = Table(
    "officers",
    metadata,
    Column("subject", String(100), primary_key=True),  # the `sub` of the officer's tokens
    Column("full_name", String(200), nullable=False, server_default=""),
    Column("title", String(200), nullable=False, server_default=""),
    Column("unit", String(30), nullable=False, index=True),  # agency code
    Column("roles", Text, nullable=False, server_default="[]"),  # JSON list, sorted
    Column("email", String(254), nullable=False, server_default=""),
    Column("valid_from", Date, nullable=True),  # legal days; none: from the start / without end
    Column("valid_to", Date, nullable=True),
    Column("source", String(10), nullable=False),  # admin | idp
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_reason", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
)

# Every assignment an officer held, a row per period: a move, a change of roles or title, a revocation ends the
# open period (ended_at) and, unless revoked, opens the next. Who was in which unit with which roles, when.
officer_assignments = Table(
    "officer_assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(100), nullable=False, index=True),
    Column("unit", String(30), nullable=False),
    Column("roles", Text, nullable=False),
    Column("title", String(200), nullable=False, server_default=""),
    Column(
        "change", String(20), nullable=False
    ),  # the change that opened it: added | moved | roles_changed ...
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("changed_by", String(100), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
)


# The procedure catalogue (issue #22; use_cases/catalogue_admin.py, queries in adapters/catalogue_store.py): every
# version of every procedure, its status (draft | published | withdrawn), the day it takes effect and what it says
# (`definition`, JSON; `digest`, its SHA-256 without number, date and status). Seeded from procedures.yaml at the
# first start; changed by imports and by a province administrator's publications and withdrawals.
procedure_versions = Table(
    "procedure_versions",
    metadata,
    Column("code", String(30), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("status", String(10), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("name", Text, nullable=False),  # Vietnamese name, for the administrators' list and search
    Column("field", Text, nullable=False, server_default=""),
    Column("definition", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("change_id", Integer, nullable=False),  # the catalogue change that created it
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("published_by", String(100), nullable=True),
    Column("withdrawn_at", UTCDateTime, nullable=True),
    Column("withdrawn_by", String(100), nullable=True),
    Column("withdrawn_reason", Text, nullable=False, server_default=""),
)

# One row per change of the catalogue (seed, import, publication, withdrawal): what each replica's cheap test of
# "did the catalogue change?" counts (Catalogue.refresh), and the imports' record (file SHA-256, counts).
catalogue_changes = Table(
    "catalogue_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(12), nullable=False),  # seed | import | publish | withdraw
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(100), nullable=False),
    Column("details", Text, nullable=False, server_default="{}"),
)

# The territory as a province administrator keeps it (services/workflow/use_cases/units.py, docs/province-admin.md):
# seeded from the units file at first start, then changed at run time. Queries in adapters/territory_store.py.
admin_units = Table(
    "admin_units",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("level", String(20), nullable=False),
    Column("parent", String(20), nullable=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),  # the last day in force (inclusive)
    Column("successor", String(20), nullable=True),  # merged into
    Column("source", String(10), nullable=False),  # file | admin
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

agencies = Table(
    "agencies",
    metadata,
    Column("code", String(30), primary_key=True),
    Column("unit", String(20), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("valid_from", Date, nullable=True),  # none: as long as its unit
    Column("valid_to", Date, nullable=True),
    Column("source", String(10), nullable=False),  # file | admin
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Every name a unit or an agency had, from its first day: forms print the one in force on their date.
catalogue_names = Table(
    "catalogue_names",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(10), nullable=False),  # unit | agency
    Column("code", String(30), nullable=False),
    Column("name", String(200), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("basis", Text, nullable=False, server_default=""),  # the legal document (number, date)
    Column("changed_by", String(100), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Index("ix_catalogue_names_entity_code", "entity", "code"),
)

# The log of the territory's changes (seeded, created, renamed, merged), newest id = the mark every replica checks
# before it answers (services/workflow/dependencies.py, Catalogue.refresh).
unit_changes = Table(
    "unit_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("change", String(12), nullable=False),
    Column("code", String(30), nullable=False, index=True),
    Column("effective_on", Date, nullable=True),
    Column("details", Text, nullable=False, server_default="{}"),  # JSON
    Column("changed_by", String(100), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

# The province's settings (domain/province_settings.py): a value from a day; the environment variable is the default
# while none is stored. Append-only: a change is a new row.
province_settings = Table(
    "province_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(40), nullable=False, index=True),
    Column("value", String(200), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("changed_by", String(100), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

# The revision of each kind of run-time catalogue change (catalogue_mark, bump_mark; migration 0013).
change_marks = Table(
    "change_marks",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("revision", BigInteger, nullable=False),
)


def find_case(session, code: str) -> dict | None:
    query = prebuilt(
        ("workflow.find_case",), lambda: select(cases).where(cases.c.dossier_code == bindparam("code"))
    )
    row = session.execute(query, {"code": code}).mappings().first()
    return dict(row) if row else None


def rated(session, code: str) -> bool:
    """Whether the applicant rated the handling of dossier `code`."""
    return session.execute(select(ratings.c.score).where(ratings.c.dossier_code == code)).first() is not None


def history(session, code: str) -> list[dict]:
    rows = session.execute(
        select(case_actions).where(case_actions.c.dossier_code == code).order_by(case_actions.c.seq)
    ).mappings()
    return [dict(r) for r in rows]


def append_action(session, code: str, seq: int | None = None, **values) -> int:
    """Add to the case's action log; `seq` when the caller knows it (the first action of a case just opened)."""
    if seq is None:
        seq = (
            session.execute(
                select(func.coalesce(func.max(case_actions.c.seq), 0)).where(
                    case_actions.c.dossier_code == code
                )
            ).scalar_one()
        ) + 1
    session.execute(
        prebuilt(("workflow.actions.insert",), case_actions.insert),
        {"dossier_code": code, "seq": seq, **values},
    )
    return seq


def count_by_status(session) -> dict[str, int]:
    rows = session.execute(select(cases.c.status, func.count()).group_by(cases.c.status)).all()
    return {status: n for status, n in rows}


def find_case_for_update(session, code: str) -> dict | None:
    query = select(cases).where(cases.c.dossier_code == code)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).mappings().first()
    return dict(row) if row else None


def action_by_txn(session, code: str, txn: str) -> dict | None:
    row = (
        session.execute(
            select(case_actions).where(
                case_actions.c.dossier_code == code, case_actions.c.client_txn_id == txn
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def steps(session, code: str) -> list[dict]:
    rows = session.execute(
        select(case_steps).where(case_steps.c.dossier_code == code).order_by(case_steps.c.seq)
    ).mappings()
    return [dict(r) for r in rows]


def pauses(session, code: str) -> list[dict]:
    rows = session.execute(
        select(case_pauses).where(case_pauses.c.dossier_code == code).order_by(case_pauses.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def successors(session) -> dict[str, str]:
    return {r.source_unit: r.successor_unit for r in session.execute(select(unit_merges)).all()}


def find_result_document(session, code: str):
    return (
        session.execute(select(result_documents).where(result_documents.c.verification_code == code))
        .mappings()
        .first()
    )


def calendar_corrections_list(session) -> list[dict]:
    rows = session.execute(select(calendar_corrections).order_by(calendar_corrections.c.id)).mappings()
    return [dict(r) for r in rows]


def calendar_corrections_mark(session) -> tuple[int, int]:
    """How many corrections there are and the newest id: a cheap test of whether they changed."""
    count, newest = session.execute(select(func.count(), func.max(calendar_corrections.c.id))).one()
    return int(count or 0), int(newest or 0)


# What the catalogue's run-time changes look like: one revision per kind, moved in the writer's own transaction
# (bump_mark). The row's lock orders concurrent writers, so a replica that read revision n has seen every change
# of that kind up to n, whatever order ids were taken in. Read by every unit of work (Catalogue.refresh): one
# primary-key range read of four rows, the statement built once, where counting and taking the maximum of four
# growing tables (six subqueries) was a fifth of the workflow's CPU per dossier (docs/performance.md).
MARKS = ("calendar", "units", "settings", "catalogue")
_MARKS_READ = select(change_marks.c.name, change_marks.c.revision)
_MARK_BUMP = (
    change_marks.update()
    .where(change_marks.c.name == bindparam("mark"))
    .values(revision=change_marks.c.revision + 1)
)


def bump_mark(session, name: str) -> None:
    """One more change of kind `name` (MARKS), in the changing transaction: every replica reloads that kind."""
    if not session.execute(_MARK_BUMP, {"mark": name}).rowcount:
        # A schema made without the migration's rows (metadata.create_all): the first change of its kind.
        session.execute(change_marks.insert().values(name=name, revision=1))


def catalogue_mark(session) -> tuple[int, int, int, int]:
    """The revisions of the calendar corrections, the units, the settings and the procedure catalogue, in MARKS'
    order (0: never changed). A replica reloads what moved."""
    found = dict(session.execute(_MARKS_READ).all())
    return tuple(int(found.get(name, 0)) for name in MARKS)  # type: ignore[return-value]
