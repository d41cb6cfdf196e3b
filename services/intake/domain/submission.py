"""What a submission decides besides its documents, in plain Python: who may file for whom, how the applicant
is reached, and when a filing at the one-stop desk counts as received at once."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any


class NotAllowed(Exception):
    """The submitter may not file this dossier; `code` is stable (the service answers Forbidden with it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_submitter(kind: str, subject: str, id_number: str) -> None:
    """A citizen files for themself; an officer at a one-stop desk files for the applicant; an agency never
    files. Raises NotAllowed."""
    if kind == "citizen" and subject != id_number:
        raise NotAllowed("not_own_dossier", "Công dân chỉ nộp hồ sơ cho chính mình.")
    if kind == "agency":
        raise NotAllowed("agency_cannot_submit", "Tài khoản cơ quan không nộp hồ sơ thay công dân.")


@dataclass(frozen=True)
class Contact:
    """How to reach the applicant: what they gave with the filing, else what the registry holds."""

    full_name: str
    email: str
    phone: str
    language: str


def contact(given: Mapping[str, str | None], person: Mapping[str, Any]) -> Contact:
    """The contact of a filing: each field as given, else the registry's, else empty (language: "vi")."""
    return Contact(
        full_name=person["full_name"],
        email=given.get("email") or person.get("email") or "",
        phone=given.get("phone") or person.get("phone") or "",
        language=given.get("language") or person.get("language") or "vi",
    )


def received_at_desk(channel: str, kind: str, roles: Collection[str]) -> bool:
    """Filed at the desk by a receiving officer: received at once by them (workflow checks the unit may
    receive it; otherwise it waits in the receipt queue like an online filing)."""
    return channel == "counter" and kind == "officer" and "receiver" in roles
