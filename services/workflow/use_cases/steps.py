"""The legal clock written down: a case's steps (one per agency on its path, each with its own budget), its due
date with the explanation, and how a resumed clock moves them. Used by the action handlers and the use cases."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from services.chassis.statements import prebuilt
from services.workflow.adapters import storage
from services.workflow.domain.legal_time import Pause


def open_step(
    session, clock, code: str, agency: str, level: str, budget: int, seq: int, now: datetime
) -> None:
    due = clock.deadline(now, budget).due_at
    session.execute(
        prebuilt(("workflow.steps.insert",), storage.case_steps.insert),
        dict(
            dossier_code=code,
            seq=seq,
            agency_code=agency,
            level=level,
            budget_days=budget,
            started_at=now,
            due_at=due,
            ended_at=None,
            outcome="",
            handed_to="",
        ),
    )


def close_step(session, clock, code: str, handed_to: str, now: datetime) -> None:
    for step in storage.steps(session, code):
        if step["ended_at"] is None:
            session.execute(
                storage.case_steps.update()
                .where(storage.case_steps.c.id == step["id"])
                .values(ended_at=now, outcome=clock.classify(now, step["due_at"]), handed_to=handed_to)
            )


def closed_pauses(session, code: str) -> tuple[Pause, ...]:
    return tuple(
        Pause(p["started_at"], p["ended_at"], p["reason"])
        for p in storage.pauses(session, code)
        if p["ended_at"] is not None
    )


def due_changes(session, catalogue, case: dict, changes: dict, fresh: bool = False) -> tuple[Pause, ...]:
    """Put the case's new due date (legal clock from receipt, closed pauses off, extensions on) into
    `changes`; return the closed pauses, which also move the running step's due date. A case opened in this
    transaction (`fresh`) has no pauses to read."""
    procedure = catalogue.procedures[(case["procedure_code"], case["procedure_version"])]
    closed = () if fresh else closed_pauses(session, case["dossier_code"])
    deadline = catalogue.clock.deadline(
        case["received_at"], procedure.processing_days, closed, case["extension_days"]
    )
    changes.update(
        due_at=deadline.due_at.astimezone(timezone.utc),
        due_explanation=json.dumps(deadline.explanation, ensure_ascii=False),
    )
    return closed


def move_open_steps(session, clock, code: str, closed: tuple[Pause, ...]) -> None:
    """A resumed clock also moves the running step's due date by the same paused days."""
    for step in storage.steps(session, code):
        if step["ended_at"] is None:
            step_pauses = tuple(p for p in closed if p.started_at >= step["started_at"])
            step_due = clock.deadline(step["started_at"], step["budget_days"], step_pauses)
            session.execute(
                storage.case_steps.update()
                .where(storage.case_steps.c.id == step["id"])
                .values(due_at=step_due.due_at)
            )
