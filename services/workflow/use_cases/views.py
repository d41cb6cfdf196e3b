"""What a case looks like to whoever asks: officers and the applicant (status, due date with its explanation,
steps, clock stops, the action log, the actions they may take now), and anyone holding the code (where it is and
when it is due; nothing about the applicant)."""

from __future__ import annotations

import json

from services.chassis.clock import iso_utc, legal_day, utcnow
from services.chassis.errors import NotFound
from services.workflow.adapters import forms, storage
from services.workflow.domain.actors import actor_roles
from services.workflow.use_cases import receipt, statistics


def case_view(session, catalogue, code: str, roles: frozenset[str] | None = None) -> dict:
    """The case `code`; with `roles`, the actions they allow now and what each needs."""
    catalogue.refresh(session)  # the procedure version it follows may be newer than this replica's catalogue
    case = storage.find_case(session, code)
    if case is None:
        raise NotFound("case_not_found", "Hồ sơ chưa được tiếp nhận vào quy trình xử lý.")
    process = catalogue.processes[case["process"]]
    allowed = process.allowed(case["status"], roles) if roles is not None else None
    return {
        "dossier_code": case["dossier_code"],
        "status": case["status"],
        "status_label": process.states.get(case["status"], {}),
        "agency_code": case["agency_code"],
        "level": case["level"],
        "receiving_agency_code": case["receiving_agency_code"],
        "procedure_code": case["procedure_code"],
        "procedure_version": case["procedure_version"],
        "assignee": case["assignee"],
        "submitted_at": iso_utc(case["submitted_at"]),
        "received_at": iso_utc(case["received_at"]),
        "due_at": iso_utc(case["due_at"]),
        "due_explanation": json.loads(case["due_explanation"] or "{}"),
        "clock_stopped": case["paused_since"] is not None,
        "finished_at": iso_utc(case["finished_at"]),
        "outcome": case["outcome"],
        **receipt.view(case, catalogue, utcnow()),
        "allowed_actions": allowed,
        "action_requirements": process.requirements(allowed) if allowed is not None else None,
        "steps": [_step(s) for s in storage.steps(session, code)],
        "pauses": [
            {
                "started_at": iso_utc(p["started_at"]),
                "ended_at": iso_utc(p["ended_at"]),
                "reason": p["reason"],
            }
            for p in storage.pauses(session, code)
        ],
        "history": [_entry(a) for a in storage.history(session, code)],
        "process": case["process"],
        # Asked only of a returned case (the only one a citizen rates): the citizen's page stops asking for it.
        "rated": case["status"] == "returned" and storage.rated(session, code),
    }


def _step(s: dict) -> dict:
    return {
        "seq": s["seq"],
        "agency_code": s["agency_code"],
        "level": s["level"],
        "budget_days": s["budget_days"],
        "started_at": iso_utc(s["started_at"]),
        "due_at": iso_utc(s["due_at"]),
        "ended_at": iso_utc(s["ended_at"]),
        "outcome": s["outcome"],
        "handed_to": s["handed_to"],
    }


def _entry(a: dict) -> dict:
    return {
        "seq": a["seq"],
        "action": a["action"],
        "from_status": a["from_status"],
        "to_status": a["to_status"],
        "actor": a["actor"],
        "unit": a["unit"],
        "reason": a["reason"],
        "at": iso_utc(a["at"]),
        "params": json.loads(a["params"] or "{}"),
        "attachments": json.loads(a["attachments"] or "[]"),
    }


def for_actor(session, catalogue, code: str, actor: dict | None) -> dict:
    """The case as `actor` sees it: with the actions their roles allow now (none asked: no actions)."""
    roles = actor_roles(actor, catalogue.officer_roles) if actor else None
    return case_view(session, catalogue, code, roles)


def public_status(session, catalogue, code: str) -> dict:
    """What anyone holding a dossier code may know without signing in: where it is and when it is due."""
    catalogue.refresh(session)
    case = storage.find_case(session, str(code)[:60])
    if case is None:
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ với mã này.")
    process = catalogue.processes[case["process"]]
    procedure = catalogue.procedures.get((case["procedure_code"], case["procedure_version"]))
    agency = catalogue.territory.agencies.get(case["agency_code"] or case["receiving_agency_code"])

    def iso(value):
        return value.isoformat() if value else None

    return {
        "dossier_code": case["dossier_code"],
        "status": case["status"],
        "status_label": process.states.get(case["status"], {}),
        "procedure": {"code": case["procedure_code"], "name": procedure.name if procedure else {}},
        "agency": {"code": agency.code, "name": agency.name} if agency else None,
        "submitted_at": iso(case["submitted_at"]),
        "received_at": iso(case["received_at"]),
        "due_at": iso(case["due_at"]),
        "clock_stopped": case["paused_since"] is not None,
        "finished_at": iso(case["finished_at"]),
        "outcome": case["outcome"],
    }


def form(session, catalogue, code: str, number: str, context: dict | None = None) -> str:
    """Forms 01-06 of a dossier as printable HTML, from its action log; `context` brings what workflow does not
    hold (the applicant's name, officers' names and titles: forms.render)."""
    return forms.render(number, case_view(session, catalogue, code), catalogue, context)


def logbook(session, catalogue, unit: str, context: dict | None = None) -> str:
    """Form 07: the logbook of a unit's dossiers."""
    catalogue.refresh(session)
    return forms.render_logbook(unit, statistics.logbook(session, unit), catalogue, context)


def competent_agencies(session, catalogue, code: str) -> list[dict]:
    """Where case `code` may be transferred: the agencies competent for its procedure (the ones its path suggests
    for this applicant first, `suggested`), never the agency holding it now."""
    catalogue.refresh(session)
    case = storage.find_case(session, code)
    if case is None:
        raise NotFound("case_not_found", "Hồ sơ chưa được tiếp nhận vào quy trình xử lý.")
    procedure = catalogue.procedures.get((case["procedure_code"], case["procedure_version"]))
    if procedure is None:
        return []
    territory = catalogue.territory
    found = territory.competent_agencies(procedure, case["applicant_unit_code"], legal_day(utcnow()))
    return [
        {
            "code": agency.code,
            "name": agency.name,
            "kind": agency.kind,
            "unit": agency.unit,
            "unit_name": territory.units[agency.unit].name,
            "level": territory.level_of(agency),
            "suggested": suggested,
        }
        for agency, suggested in found
        if agency.code != case["agency_code"]
    ]
