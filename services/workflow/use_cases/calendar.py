"""Calendar corrections published at run time by a province administrator (a Government notice moving a day off,
a new holiday, a make-up Saturday), audited in the tamper-evident chain.

What a correction does (docs/calendar.md):
- Every deadline computed after it uses it (receipt, resumed clock, extension, transfer), on every replica: the
  service checks for new corrections before each action (services/workflow/dependencies.py, Catalogue.refresh).
- Open dossiers whose legal time the correction lengthens are recomputed now: a new day off inside their counted
  days moves their due date (and their running step's) later; the change is written into their due explanation
  (`recomputed`) and their action log (`due_recomputed`), and published. A due date is never moved earlier by a
  correction: the appointment given to the applicant on Form 01 stands when a day off becomes a working day.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from sqlalchemy import select

from services.chassis.clock import iso_utc, utcnow
from services.chassis.errors import Forbidden
from services.workflow.adapters import portal, storage
from services.workflow.domain.indicators import TERMINAL
from services.workflow.use_cases import steps


def check_admin(catalogue, actor: dict, task: str = "điều chỉnh lịch làm việc") -> dict:
    """A province administrator: an officer with the `admin` role in a province-level agency the catalogue holds
    ({"unit": their agency}); Forbidden otherwise (`task` says, in Vietnamese, what they were refused)."""
    roles = set(actor.get("roles") or [])
    if actor.get("kind") != "officer" or "admin" not in roles:
        raise Forbidden("role_not_allowed", f"Chỉ quản trị viên của tỉnh được {task}.")
    if catalogue.territory.agency_unit_level(str(actor.get("unit") or "")) != "province":
        raise Forbidden("province_only", f"Chỉ quản trị viên của cơ quan cấp tỉnh được {task}.")
    return {"unit": actor["unit"]}


def view(row: dict) -> dict:
    return {
        "id": row["id"],
        "date": row["day"].isoformat(),
        "kind": row["kind"],
        "name": row["name"],
        "source": row["source"],
        "published_by": row["published_by"],
        "published_at": iso_utc(row["published_at"]),
    }


def publish(uow, catalogue, body: dict, actor: dict, sync=None, now: datetime | None = None) -> dict:
    """Publish a correction (a province administrator), audited; recompute the open dossiers it lengthens."""
    check_admin(catalogue, actor)
    now = now or utcnow()
    session = uow.session
    who = str(actor.get("subject") or "")
    inserted = session.execute(
        storage.calendar_corrections.insert().values(
            day=body["date"],
            kind=body["kind"],
            name=body["name"].strip(),
            source=body["source"].strip(),
            published_by=who,
            published_at=now,
        )
    )
    storage.bump_mark(session, "calendar")
    row = {
        "id": inserted.inserted_primary_key[0],
        "day": body["date"],
        "kind": body["kind"],
        "name": body["name"].strip(),
        "source": body["source"].strip(),
        "published_by": who,
        "published_at": now,
    }
    uow.audit(
        f"officer:{who}",
        "calendar.correction_published",
        body["date"].isoformat(),
        {
            "unit": str(actor.get("unit") or ""),
            "kind": row["kind"],
            "name": row["name"],
            "source": row["source"],
        },
    )
    catalogue.refresh(session, force=True)
    moved = _recompute_open_cases(uow, catalogue, row, who, now)
    portal.record_changes(uow, sync)
    return {"correction": view(row), "recomputed": moved}


def corrections(session) -> list[dict]:
    """The corrections published at run time, oldest first."""
    return [view(r) for r in storage.calendar_corrections_list(session)]


def _recompute_open_cases(uow, catalogue, correction: dict, actor: str, now: datetime) -> list[dict]:
    """Every open, received case whose legal time the correction lengthens: its due date and its running step's
    moved later (never earlier), explained, logged and published. The moves made."""
    session, clock = uow.session, catalogue.clock
    reason = (
        f"Điều chỉnh lịch ngày {correction['day'].strftime('%d/%m/%Y')}: {correction['name']} "
        f"({correction['source']})"
    )
    moved = []
    for case in _open_received_cases(session):
        code = case["dossier_code"]
        procedure = catalogue.procedures[(case["procedure_code"], case["procedure_version"])]
        closed = steps.closed_pauses(session, code)
        deadline = clock.deadline(
            case["received_at"], procedure.processing_days, closed, case["extension_days"]
        )
        if deadline.due_at <= case["due_at"]:
            continue  # not lengthened: the due date given to the applicant stands
        _write_due(session, case, deadline, _recomputed(correction, case, reason, now), now)
        _lengthen_open_steps(session, clock, code, closed)
        _log_and_publish(uow, case, deadline.due_at, actor, reason, now)
        moved.append({"dossier_code": code, "from": iso_utc(case["due_at"]), "to": iso_utc(deadline.due_at)})
    return moved


def _open_received_cases(session) -> list:
    cases = storage.cases
    query = select(cases).where(
        cases.c.status.not_in(TERMINAL), cases.c.received_at.is_not(None), cases.c.due_at.is_not(None)
    )
    return list(session.execute(query).mappings().all())


def _recomputed(correction: dict, case, reason: str, now: datetime) -> dict:
    """What the due explanation says of the recomputation: when, the due date before, why."""
    return {
        "at": iso_utc(now),
        "previous_due_at": iso_utc(case["due_at"]),
        "reason": reason,
        "correction": {
            "date": correction["day"].isoformat(),
            "kind": correction["kind"],
            "source": correction["source"],
        },
    }


def _write_due(session, case, deadline, recomputed: dict, now: datetime) -> None:
    cases = storage.cases
    explanation = dict(deadline.explanation, recomputed=recomputed)
    session.execute(
        cases.update()
        .where(cases.c.dossier_code == case["dossier_code"])
        .values(
            due_at=deadline.due_at.astimezone(timezone.utc),
            updated_at=now,
            due_explanation=json.dumps(explanation, ensure_ascii=False),
        )
    )


def _lengthen_open_steps(session, clock, code: str, closed: tuple) -> None:
    """The running step's due date recomputed on the corrected calendar, moved only if later."""
    for step in storage.steps(session, code):
        if step["ended_at"] is None:
            step_due = clock.deadline(
                step["started_at"],
                step["budget_days"],
                tuple(p for p in closed if p.started_at >= step["started_at"]),
            ).due_at
            if step_due > step["due_at"]:
                session.execute(
                    storage.case_steps.update()
                    .where(storage.case_steps.c.id == step["id"])
                    .values(due_at=step_due)
                )


def _log_and_publish(uow, case, due_at: datetime, actor: str, reason: str, now: datetime) -> None:
    """The case's `due_recomputed` action log entry and its DossierStatusChanged (the status stays)."""
    code = case["dossier_code"]
    storage.append_action(
        uow.session,
        code,
        action="due_recomputed",
        from_status=case["status"],
        to_status=case["status"],
        actor=actor,
        unit=case["agency_code"],
        reason=reason,
        at=now,
        client_txn_id=None,
        attachments="[]",
        params=json.dumps({"from": iso_utc(case["due_at"]), "to": iso_utc(due_at)}),
    )
    uow.publish(
        DossierStatusChanged,
        {
            "dossier_code": code,
            "procedure_code": case["procedure_code"],
            "agency_code": case["agency_code"],
            "from_status": case["status"],
            "to_status": case["status"],
            "action": "due_recomputed",
            "level": case["level"],
            "actor": actor,
            "reason": reason,
            "clock_stopped": case["paused_since"] is not None,
            "due_at": iso_utc(due_at),
        },
        subject=code,
    )
