"""Who acts on a case: the process roles an actor acts in, and how an actor and their reason appear on public
events (no citizen's ID number nor free text ever leaves the case history). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Actor = Mapping[str, Any]  # {subject, kind: officer | citizen | system, unit, roles, name}
SYSTEM: dict[str, Any] = {"kind": "system", "subject": "system", "unit": None, "roles": []}


def public_actor(actor: Actor) -> str:
    """Who acted, as said on public events: an officer's subject, "applicant" or "system"; never a citizen's subject
    (their ID number)."""
    if actor.get("kind") == "officer" and actor.get("subject"):
        return str(actor["subject"])
    return "applicant" if actor.get("kind") == "citizen" else "system"


def public_reason(actor: Actor, reason: str | None) -> str:
    """The reason on public events: an officer's or the system's text; a citizen's own free text stays in the case
    history (and the audit chain), never on an exchange."""
    return "" if actor.get("kind") == "citizen" else (reason or "")


def actor_roles(actor: Actor, officer_roles: frozenset[str]) -> frozenset[str]:
    """The process roles `actor` acts in: an officer's token roles that the process definitions declare as
    officers' (`officer_roles`), so a token claiming "citizen" or "system" gets nothing from it."""
    if actor.get("kind") == "citizen":
        return frozenset({"citizen"})
    if actor.get("kind") == "system":
        return frozenset({"system"})
    if actor.get("kind") == "officer":
        return frozenset(actor.get("roles") or ()) & officer_roles
    return frozenset()
