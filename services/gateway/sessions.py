"""Sessions that end (OWASP ASVS 5.0, V7 session management): every token a gateway accepts is a session row in
the gateway's database, shared by its replicas. A token is refused (401) once its session ended: signed out,
idle or past its absolute lifetime (officers, by default), or revoked with all of its subject's sessions by an
administrator. Tokens are never stored, only their SHA-256.

One indexed read per request; the last-seen time is written at most once a minute per session. A token never
seen before is checked against its subject's revocation (`iat` before it: refused) and recorded.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, select, update

from services.chassis.statements import dialect_insert, prebuilt
from services.gateway import storage
from services.gateway.identity import Principal

TOUCH_EVERY = timedelta(seconds=60)
# Ended or expired rows are kept this long past the token's expiry (clock skew between the IdP and us).
KEEP_AFTER_EXPIRY = timedelta(days=1)

_MESSAGES = {
    "signed_out": (
        "Phiên đăng nhập đã kết thúc (đã đăng xuất). Vui lòng đăng nhập lại.",
        "The session ended (signed out); please sign in again.",
    ),
    "idle": (
        "Phiên đăng nhập đã hết hạn do không hoạt động. Vui lòng đăng nhập lại.",
        "The session expired after a period of inactivity; please sign in again.",
    ),
    "expired": (
        "Phiên đăng nhập đã quá thời gian tối đa. Vui lòng đăng nhập lại.",
        "The session reached its maximum lifetime; please sign in again.",
    ),
    "revoked": (
        "Phiên đăng nhập đã bị thu hồi. Vui lòng đăng nhập lại.",
        "The session was revoked; please sign in again.",
    ),
}


class SessionEnded(Exception):
    """The token's session is over; `reason` is one of _MESSAGES' keys."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.message, self.message_en = _MESSAGES[reason]


@dataclass(frozen=True)
class Policy:
    """Time-outs per kind of principal, in seconds; 0 = none (the token's own expiry still applies)."""

    idle: dict
    absolute: dict

    @classmethod
    def from_env(cls) -> Policy:
        """`SESSION_IDLE_MINUTES_<KIND>` and `SESSION_ABSOLUTE_HOURS_<KIND>`. Defaults: officers 30 minutes idle and
        10 hours in all (a working day at the desk); citizens and agencies only their token's expiry (a citizen
        filling a long form must not lose it)."""

        def read(name: str, default: float, unit: int) -> int:
            raw = os.environ.get(name, "").strip() or str(default)
            try:
                value = float(raw)
            except ValueError:
                raise RuntimeError(f"{name} must be a number, got {raw!r}") from None
            if value < 0:
                raise RuntimeError(f"{name} must not be negative, got {raw!r}")
            return int(value * unit)

        kinds = {"officer": (30, 10), "citizen": (0, 0), "agency": (0, 0)}
        return cls(
            idle={k: read(f"SESSION_IDLE_MINUTES_{k.upper()}", d[0], 60) for k, d in kinds.items()},
            absolute={k: read(f"SESSION_ABSOLUTE_HOURS_{k.upper()}", d[1], 3600) for k, d in kinds.items()},
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def verdict(row, principal: Principal, policy: Policy, now: datetime) -> str | None:
    """Why the session of a known token is over, or None while it lasts (pure: the rules in one place)."""
    if row["ended_at"] is not None:
        return row["end_reason"] or "signed_out"
    idle = policy.idle.get(principal.kind, 0)
    if idle and now - row["last_seen_at"] > timedelta(seconds=idle):
        return "idle"
    absolute = policy.absolute.get(principal.kind, 0)
    started = row["first_seen_at"]
    if principal.issued_at is not None:
        started = min(started, datetime.fromtimestamp(principal.issued_at, timezone.utc))
    if absolute and now - started > timedelta(seconds=absolute):
        return "expired"
    return None


def _expiry(principal: Principal, now: datetime) -> datetime:
    return datetime.fromtimestamp(principal.expires_at, timezone.utc) if principal.expires_at else now


def check(conn, token: str, principal: Principal, policy: Policy, now: datetime) -> None:
    """Raise SessionEnded unless the token's session lasts; record a new one, refresh the last-seen time."""
    sessions = storage.web_sessions
    digest = token_hash(token)
    row = (
        conn.execute(
            prebuilt(
                ("gateway.sessions.find",),
                lambda: select(sessions).where(sessions.c.token_hash == bindparam("h")),
            ),
            {"h": digest},
        )
        .mappings()
        .first()
    )
    if row is None:
        _first_sight(conn, digest, principal, now)
        return
    reason = verdict(row, principal, policy, now)
    if reason is not None:
        if row["ended_at"] is None:
            _end(conn, digest, reason, now)
        raise SessionEnded(reason)
    if now - row["last_seen_at"] >= TOUCH_EVERY:
        conn.execute(
            prebuilt(
                ("gateway.sessions.touch",),
                lambda: (
                    update(sessions)
                    .where(sessions.c.token_hash == bindparam("h"), sessions.c.ended_at.is_(None))
                    .values(last_seen_at=bindparam("now"))
                ),
            ),
            {"h": digest, "now": now},
        )


def _first_sight(conn, digest: str, principal: Principal, now: datetime) -> None:
    revocations = storage.session_revocations
    revoked_before = conn.execute(
        prebuilt(
            ("gateway.revocations.find",),
            lambda: select(revocations.c.revoked_before).where(revocations.c.subject == bindparam("s")),
        ),
        {"s": principal.subject},
    ).scalar()
    # A token without `iat` cannot show it was issued after the revocation: refused too.
    if revoked_before is not None and (principal.issued_at is None or principal.issued_at < revoked_before):
        raise SessionEnded("revoked")
    sessions = storage.web_sessions
    dialect = (conn.get_bind() if hasattr(conn, "get_bind") else conn).dialect.name
    conn.execute(
        prebuilt(
            ("gateway.sessions.start", dialect),
            lambda: dialect_insert(conn, sessions).on_conflict_do_nothing(
                index_elements=[sessions.c.token_hash]
            ),
        ),
        {
            "token_hash": digest,
            "subject": principal.subject,
            "kind": principal.kind,
            "first_seen_at": now,
            "last_seen_at": now,
            "expires_at": _expiry(principal, now),
            "ended_at": None,
            "end_reason": None,
        },
    )


def _end(conn, digest: str, reason: str, now: datetime) -> None:
    sessions = storage.web_sessions
    conn.execute(
        update(sessions)
        .where(sessions.c.token_hash == digest, sessions.c.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )


def end(conn, token: str, principal: Principal, now: datetime) -> None:
    """Sign-out: the token's session ends now, whether or not a gateway had seen the token before."""
    sessions = storage.web_sessions
    digest = token_hash(token)
    conn.execute(
        dialect_insert(conn, sessions)
        .values(
            token_hash=digest,
            subject=principal.subject,
            kind=principal.kind,
            first_seen_at=now,
            last_seen_at=now,
            expires_at=_expiry(principal, now),
            ended_at=now,
            end_reason="signed_out",
        )
        .on_conflict_do_nothing(index_elements=[sessions.c.token_hash])
    )
    _end(conn, digest, "signed_out", now)


def revoke_subject(conn, subject: str, by: str, now: datetime) -> int:
    """End every session of `subject` and refuse every token issued to them until now; returns how many open
    sessions ended. Their next sign-in (a token issued later) works."""
    revocations, sessions = storage.session_revocations, storage.web_sessions
    values = {"subject": subject, "revoked_before": now.timestamp(), "revoked_at": now, "revoked_by": by}
    conn.execute(
        dialect_insert(conn, revocations)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[revocations.c.subject], set_={k: v for k, v in values.items() if k != "subject"}
        )
    )
    return conn.execute(
        update(sessions)
        .where(sessions.c.subject == subject, sessions.c.ended_at.is_(None))
        .values(ended_at=now, end_reason="revoked")
    ).rowcount


def purge(conn, now: datetime) -> int:
    """Forget sessions whose token expired more than a day ago: such a token is refused by its expiry anyway."""
    sessions = storage.web_sessions
    return conn.execute(sessions.delete().where(sessions.c.expires_at < now - KEEP_AFTER_EXPIRY)).rowcount
