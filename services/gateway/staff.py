"""Officers as the staff directory says they are (workflow owns it; docs/staff-directory.md): after the token and
its session are checked, an officer's agency, roles and name come from workflow's `resolve_officer`, never from
the token alone. The answer is kept per gateway process for `STAFF_CACHE_SECONDS` (30 s), refusals too, keyed by
what the token claims, so a request by a known officer costs a dictionary read and no RPC.

What ends an entry early: `StaffMemberChanged` from workflow.private. Every replica gets it (`@on_broadcast`) and
drops what it holds about the officer, so a moved officer's next request sees the new agency and not the old
agency's queue; one replica (`@on_event`, a durable queue) ends a revoked officer's sessions in the shared
sessions database, so their cookie and token get 401 everywhere. The route that changes the directory does both
itself too, before it answers. Fails closed: an officer not in the cache while workflow cannot answer gets 503.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timezone
from typing import Callable

from motcua.workflow.v1.events_pb2 import StaffMemberChanged

from services.chassis.consumers import on_broadcast, on_event
from services.chassis.errors import Forbidden, ServiceError, Unavailable
from services.gateway import sessions
from services.gateway.identity import Principal

DEFAULT_TTL_SECONDS = 30.0
CACHE_SIZE = 20_000  # officers per gateway process; a province has a few thousand
Ask = Callable[[dict], dict]


def ttl_from_env() -> float:
    raw = os.environ.get("STAFF_CACHE_SECONDS", "").strip() or str(DEFAULT_TTL_SECONDS)
    try:
        value = float(raw)
    except ValueError:
        raise RuntimeError(f"STAFF_CACHE_SECONDS must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise RuntimeError(f"STAFF_CACHE_SECONDS must not be negative, got {raw!r}")
    return value


class OfficerDirectory:
    """The directory's answers for one gateway process: (subject, claims) → the officer, or the refusal."""

    def __init__(
        self,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        ask: Ask | None = None,
        size: int = CACHE_SIZE,
        now: Callable[[], float] = time.monotonic,
    ):
        self.ttl = ttl_seconds
        self.ask = (
            ask  # a default for tests; the gateway binds each worker's own RPC (auth.SessionGate.bound)
        )
        self.size = size
        self._now = now
        self._entries: OrderedDict[tuple, tuple[float, dict | tuple[str, str]]] = OrderedDict()
        self._by_subject: dict[str, set[tuple]] = {}

    def effective(self, principal: Principal, ask: Ask | None = None) -> Principal:
        """The officer as the directory says; raises Forbidden (refused) or Unavailable (no answer to be had)."""
        key = _key(principal)
        held = self._entries.get(key)
        if held is not None and held[0] > self._now():
            answer = held[1]
        else:
            answer = self._ask(principal, ask or self.ask)
            self._keep(key, answer)
        if isinstance(answer, tuple):
            raise Forbidden(*answer)
        return replace(
            principal,
            unit=answer["unit"],
            roles=frozenset(answer["roles"]),
            name=answer.get("full_name") or principal.name,
        )

    def forget(self, subject: str) -> None:
        for key in self._by_subject.pop(subject, ()):
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _ask(self, principal: Principal, ask: Ask | None) -> dict | tuple[str, str]:
        if ask is None:
            raise Unavailable("officer_directory_unavailable", "Chưa tra cứu được danh bạ cán bộ.")
        try:
            return ask(claims_of(principal))
        except Forbidden as refusal:
            return (refusal.code, refusal.message)
        except ServiceError:
            raise
        except Exception as exc:  # a workflow without the directory (rolling update), a broken reply: closed
            raise Unavailable(
                "officer_directory_unavailable",
                "Chưa tra cứu được danh bạ cán bộ, vui lòng thử lại sau.",
                {"error_type": type(exc).__name__},
            ) from exc

    def _keep(self, key: tuple, answer: dict | tuple[str, str]) -> None:
        if self.ttl <= 0:
            return
        self._entries[key] = (self._now() + self.ttl, answer)
        self._entries.move_to_end(key)
        self._by_subject.setdefault(key[0], set()).add(key)
        while len(self._entries) > self.size:
            old, _ = self._entries.popitem(last=False)
            keys = self._by_subject.get(old[0])
            if keys is not None:
                keys.discard(old)
                if not keys:
                    del self._by_subject[old[0]]


def _key(principal: Principal) -> tuple:
    """What the answer depends on: the subject (the directory's entry) and, in claims mode, what the token says."""
    return (
        principal.subject,
        principal.unit or "",
        tuple(sorted(principal.roles)),
        tuple(sorted(principal.groups)),
        principal.name,
        principal.email,
    )


def claims_of(principal: Principal) -> dict:
    """The token's claims as workflow's `resolve_officer` takes them."""
    return {
        "subject": principal.subject,
        "name": principal.name,
        "unit": principal.unit or "",
        "roles": sorted(principal.roles),
        "groups": sorted(principal.groups),
        "email": principal.email,
    }


def end_sessions(db, subject: str, by: str, reason: str, now: datetime) -> int:
    """Every session of a revoked officer ends (services/gateway/sessions.py), audited in the gateway's chain."""
    with db.unit() as uow:
        ended = sessions.revoke_subject(uow.session, subject, by, now)
        uow.audit(by, "sessions_revoked", subject, {"ended_sessions": ended, "reason": reason})
    return ended


class StaffEvents:
    """The gateway's consumers of StaffMemberChanged (a mixin of GatewayService: `self.auth`, `self.db`)."""

    @on_broadcast(StaffMemberChanged)
    def forget_changed_officer(self, event):
        """Every replica: what this process holds about the officer is dropped; the next request asks again."""
        self.auth.forget_officer(event.data.subject)

    @on_event(StaffMemberChanged)
    def on_staff_member_changed(self, event):
        """One replica: a revoked officer's sessions end in the shared sessions database (their cookie and token
        get 401 on every replica), as of the revocation's own time; once per event (inbox)."""
        data = event.data
        self.auth.forget_officer(data.subject)
        if data.change != "revoked":
            return
        with self.db.unit(event) as uow:
            if uow.duplicate:
                return
            at = data.metadata.occurred_at.ToDatetime(tzinfo=timezone.utc)
            ended = sessions.revoke_subject(uow.session, data.subject, "workflow", at)
            if ended:  # none when the replica that took the revocation ended them already (and audited it)
                details = {"ended_sessions": ended, "reason": "revoked"}
                uow.audit("workflow", "sessions_revoked", data.subject, details)
        self.log.info("officer_sessions_revoked", unit=data.unit, ended_sessions=ended)
