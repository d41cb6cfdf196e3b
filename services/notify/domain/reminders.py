"""Reminders to officers before and after a dossier's due date: who gets one (the case's assignee and the leaders of
its agency, from workflow's staff directory), under which template, and the key that lets a dossier's reminder of
one kind reach each officer once, whatever the events. Plain Python.

Reminders are notifications like the citizens' (the same table, sending, retries and stable Message-ID) under
templates named `staff_*`, which a dossier's timeline for its applicant leaves out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

# The public event's type (its last part) → the template the officers get.
TEMPLATES = {"CaseDueSoon": "staff_case_due_soon", "CaseOverdue": "staff_case_overdue"}
STAFF_PREFIX = "staff_"
_NAMESPACE = uuid.UUID("6d0d7d52-64f5-4c62-9d7e-3b7f9b3c2a10")  # fixed: the keys must never change


@dataclass(frozen=True)
class Officer:
    subject: str
    full_name: str
    email: str
    role: str  # "assignee" or "leader"
    language: str


def recipients(contacts: dict[str, Any] | None) -> list[Officer]:
    """The assignee first, then the leaders; each e-mail address once; officers without an address left out."""
    found: list[Officer] = []
    seen: set[str] = set()
    people = [("assignee", (contacts or {}).get("assignee"))] + [
        ("leader", leader) for leader in (contacts or {}).get("leaders") or []
    ]
    for role, person in people:
        if not isinstance(person, dict):
            continue
        email = str(person.get("email") or "").strip()
        if not email or "@" not in email or email.lower() in seen:
            continue
        seen.add(email.lower())
        found.append(
            Officer(
                subject=str(person.get("subject") or ""),
                full_name=str(person.get("full_name") or person.get("subject") or ""),
                email=email,
                role=role,
                language=str(person.get("language") or "vi"),
            )
        )
    return found


def reminder_key(dossier_code: str, template: str, email: str) -> str:
    """The notification's cause key (36 characters, as event ids): the same for a dossier, a kind of reminder and
    an officer's address, so a second event of that kind for that dossier reminds nobody twice."""
    return str(uuid.uuid5(_NAMESPACE, f"{dossier_code}|{template}|{email.lower()}"))


def is_staff(template: str) -> bool:
    """Whether a recorded notification (`staff_case_due_soon@1`) went to officers rather than the applicant."""
    return template.startswith(STAFF_PREFIX)
