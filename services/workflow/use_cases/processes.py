"""Process definitions as a province administrator reviews them: a preview of each definition in force (states,
actions with who may take them, which need a reason or parameters, what they do to the legal clock, the procedures
that follow it), and a definition checked before anyone proposes it: validated as at start (domain/process.py) and
previewed, or refused with the problem. Checking activates nothing: definitions are files read at start
(data/processes/*.yaml); activating one at run time is out of scope (docs/province-admin.md)."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.chassis.yamlfile import DataFileError
from services.workflow.adapters import datafiles
from services.workflow.domain import process as rules

# What each clock effect does, in the pages' words (domain/process.py CLOCK_EFFECTS; use_cases/actions/clock.py).
CLOCK_WORDS = {
    "start": {"vi": "Bắt đầu tính thời hạn", "en": "Starts the legal clock"},
    "stop": {"vi": "Tạm dừng tính thời hạn", "en": "Stops the legal clock"},
    "resume": {"vi": "Tính tiếp thời hạn", "en": "Resumes the legal clock"},
    "extend": {"vi": "Gia hạn thời hạn", "en": "Extends the due date"},
    "finish": {"vi": "Kết thúc tính thời hạn", "en": "Ends the legal clock"},
}
UPLOAD = "tệp tải lên"  # how an uploaded definition is named in its errors


def preview(definition: rules.ProcessDefinition) -> dict:
    """What a definition says, in order: states (initial first, terminal last) with the actions out of each, and
    every action with its roles, needs and clock effect."""
    vocabulary = definition.vocabulary()
    order = [
        definition.initial,
        *[s for s in definition.states if s not in definition.terminal | {definition.initial}],
    ]
    order += sorted(definition.terminal)
    return {
        "name": definition.name,
        "initial": definition.initial,
        "terminal": sorted(definition.terminal),
        "roles": vocabulary["roles"],
        "states": [
            {
                "code": state,
                "label": vocabulary["statuses"][state],
                "initial": state == definition.initial,
                "terminal": state in definition.terminal,
                "actions": [a.name for a in definition.actions.values() if state in a.sources],
            }
            for state in order
        ],
        "actions": [
            {
                "name": a.name,
                "label": a.label,
                "roles": sorted(a.roles),
                "from": list(a.sources),
                "to": a.target,
                "reason": a.reason_required,
                "params": list(a.params),
                "clock": a.clock,
                "clock_label": CLOCK_WORDS.get(a.clock or ""),
            }
            for a in definition.actions.values()
        ],
        "records": vocabulary["records"],
    }


def definitions(catalogue) -> list[dict]:
    """Every definition in force, previewed, with the procedures that follow it."""
    used: dict[str, set[str]] = {}
    for procedure in catalogue.procedures.values():
        used.setdefault(procedure.process, set()).add(procedure.code)
    return [
        {**preview(definition), "procedures": sorted(used.get(name, ()))}
        for name, definition in sorted(catalogue.processes.items())
    ]


def check(catalogue, text: str) -> dict:
    """A definition given as YAML text, validated as the service validates its files at start, and previewed;
    InvalidInput `invalid_process` naming the problem (and its line) otherwise. Nothing is stored or activated."""
    try:
        definition = datafiles.parse_process_text(text, UPLOAD)
    except (DataFileError, rules.ProcessError) as exc:
        raise InvalidInput("invalid_process", str(exc), {"problem": str(exc)}) from None
    except (TypeError, AttributeError, KeyError, ValueError) as exc:  # a shape the parser does not expect
        problem = f"{UPLOAD}: cấu trúc không đúng định dạng quy trình ({type(exc).__name__}: {exc})"
        raise InvalidInput("invalid_process", problem, {"problem": problem}) from None
    current = catalogue.processes.get(definition.name)
    return {
        "valid": True,
        "activated": False,
        "preview": preview(definition),
        "replaces": definition.name if current is not None else None,
        "unknown_roles": sorted(definition.officer_roles() - catalogue.officer_roles),
    }
