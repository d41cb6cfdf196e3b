"""Which change of a dossier tells the citizen what, and how a template file is read (its subject line). Pure:
the files are loaded and rendered by services/notify/adapters/templates.py (Jinja2's sandbox)."""

from __future__ import annotations

import re
from dataclasses import dataclass

TEMPLATE_VERSION = 1
DEFAULT_LANGUAGE = "vi"  # Vietnamese first: a template missing in the citizen's language falls back to it
# Status a case enters → the template that tells the citizen.
TEMPLATE_FOR_STATUS = {
    "received": "dossier_received",
    "coordination": "dossier_coordination",
    "awaiting_supplement": "dossier_supplement_requested",
    "awaiting_completion": "dossier_completion_requested",  # Form 02 before receipt (Decree 118/2025)
    "result_ready": "dossier_result_ready",
    "refused": "dossier_refused",
}
# Actions that tell the citizen something without changing the status.
TEMPLATE_FOR_ACTION = {"extend_with_apology": "dossier_delayed"}
_SUBJECT = re.compile(r"^\{#\s*subject:\s*(.+?)\s*#\}\s*\n")


def template_for(action: str, from_status: str, to_status: str) -> str | None:
    if action in TEMPLATE_FOR_ACTION:
        return TEMPLATE_FOR_ACTION[action]
    if from_status == to_status:
        return None  # a step inside a status (assign, process step, transfer) is not news for the citizen
    return TEMPLATE_FOR_STATUS.get(to_status)


@dataclass(frozen=True)
class Rendered:
    template: str
    language: str
    subject: str
    body: str


def version_of(name: str, short: bool = False) -> str:
    """The template's name as notifications record it: `dossier_received@1`, `dossier_received.sms@1`."""
    return f"{name}.sms@{TEMPLATE_VERSION}" if short else f"{name}@{TEMPLATE_VERSION}"


def split_subject(name: str, source: str) -> tuple[str, str]:
    """(subject template, body template) of an e-mail template file, whose first line is `{# subject: ... #}`."""
    match = _SUBJECT.match(source)
    if not match:
        raise ValueError(f"template {name} has no subject line")
    return match.group(1), source[match.end() :]
