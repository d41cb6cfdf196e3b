"""The staff directory's rules: who an officer is on the platform (agency, roles, name, title), whether their entry
is in force, what a change is called, and how a sign-in is resolved in each mode (docs/staff-directory.md). Pure.

Modes (`STAFF_DIRECTORY_MODE`):
- `directory`: the directory decides. An officer must have an entry in force, not revoked; its agency and roles
  win over whatever the token claims. The identity provider only says who is signing in.
- `claims`: the token decides (its `unit` and `roles`, or the provider's groups mapped to them) and the directory
  follows it, recording each officer on first sight (source `idp`). An entry an administrator wrote (source
  `admin`) is the administrator's: the token no longer changes it. A revoked entry refuses in both modes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

MODES = ("directory", "claims")
CHANGES = ("added", "moved", "roles_changed", "revoked", "renamed")
SOURCES = ("admin", "idp")


class Refused(Exception):
    """A sign-in the directory refuses; `code` is stable, `message` Vietnamese (the service raises Forbidden)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


_REFUSALS = {
    "officer_not_in_directory": "Tài khoản cán bộ chưa có trong danh bạ cán bộ. Vui lòng liên hệ quản trị viên.",
    "officer_revoked": "Quyền truy cập của cán bộ đã bị thu hồi. Vui lòng liên hệ quản trị viên.",
    "officer_not_in_force": "Tài khoản cán bộ chưa đến hoặc đã hết thời gian hiệu lực trong danh bạ cán bộ.",
    "officer_without_unit": "Thông tin đăng nhập không cho biết đơn vị công tác của cán bộ.",
    "officer_without_roles": "Thông tin đăng nhập không cho biết vai trò của cán bộ.",
    "officer_unit_ambiguous": "Các nhóm của cán bộ thuộc nhiều đơn vị khác nhau; không xác định được đơn vị.",
}


def refused(code: str) -> Refused:
    return Refused(code, _REFUSALS[code])


@dataclass(frozen=True)
class Entry:
    """An officer's directory entry. `roles` sorted; dates are legal days (None: open)."""

    subject: str
    full_name: str
    title: str
    unit: str
    roles: tuple[str, ...]
    email: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    source: str = "admin"
    revoked: bool = False

    def in_force(self, today: date) -> bool:
        if self.revoked:
            return False
        started = self.valid_from is None or self.valid_from <= today
        return started and (self.valid_to is None or today <= self.valid_to)

    def status(self, today: date) -> str:
        """active | revoked | not_in_force."""
        if self.revoked:
            return "revoked"
        return "active" if self.in_force(today) else "not_in_force"


def roles_of(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values if v}))


def change_of(before: Entry | None, after: Entry) -> str | None:
    """What a change to an entry is called for the event (the strongest one when several fields change), or None
    when nothing that concerns its readers changed."""
    if before is None or before.revoked:
        return "added"
    if before.unit != after.unit:
        return "moved"
    if before.roles != after.roles:
        return "roles_changed"
    details = ("full_name", "title", "email", "valid_from", "valid_to")
    if any(getattr(before, name) != getattr(after, name) for name in details):
        return "renamed"
    return None


def opens_assignment(before: Entry | None, after: Entry) -> bool:
    """Whether a change ends the officer's current assignment period and opens another (what, where, as what)."""
    if before is None or before.revoked:
        return True
    return (before.unit, before.roles, before.title) != (after.unit, after.roles, after.title)


@dataclass(frozen=True)
class Claims:
    """What the sign-in token says about an officer (the gateway passes it on)."""

    subject: str
    name: str = ""
    unit: str = ""
    roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    email: str = ""

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Claims:
        def texts(key: str) -> frozenset[str]:
            value = raw.get(key) or []
            return frozenset(str(v) for v in value if v) if isinstance(value, (list, tuple)) else frozenset()

        return cls(
            subject=str(raw.get("subject") or ""),
            name=str(raw.get("name") or ""),
            unit=str(raw.get("unit") or ""),
            roles=texts("roles"),
            groups=texts("groups"),
            email=str(raw.get("email") or ""),
        )


@dataclass(frozen=True)
class GroupMapping:
    """The identity provider's groups as roles and agencies (`STAFF_ROLE_MAPPING`, `STAFF_UNIT_MAPPING`)."""

    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)

    def roles_for(self, claims: Claims) -> frozenset[str]:
        mapped = {role for group in claims.groups for role in self.roles.get(group, ())}
        return claims.roles | mapped

    def unit_for(self, claims: Claims) -> str:
        """The token's unit claim, or else the one agency its groups map to."""
        if claims.unit:
            return claims.unit
        units = {self.units[g] for g in claims.groups if g in self.units}
        if len(units) > 1:
            raise refused("officer_unit_ambiguous")
        return units.pop() if units else ""


def parse_mapping(roles_json: str, units_json: str) -> GroupMapping:
    """Both settings as JSON objects: {"group": "role" | ["role", ...]} and {"group": "agency code"}. ValueError
    naming the setting when one is not."""
    roles: dict[str, tuple[str, ...]] = {}
    for group, value in _object("STAFF_ROLE_MAPPING", roles_json).items():
        listed = [value] if isinstance(value, str) else value
        if not isinstance(listed, list) or not listed or not all(isinstance(r, str) and r for r in listed):
            raise ValueError(f"STAFF_ROLE_MAPPING: group {group!r} must map to a role or a list of roles")
        roles[group] = tuple(listed)
    units: dict[str, str] = {}
    for group, value in _object("STAFF_UNIT_MAPPING", units_json).items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"STAFF_UNIT_MAPPING: group {group!r} must map to an agency code")
        units[group] = value
    return GroupMapping(roles, units)


def _object(name: str, text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object")
    return value


def mode_of(text: str, local: bool) -> str:
    """The configured mode; unset: `claims` on a developer's machine, `directory` everywhere else."""
    mode = text.strip().lower() or ("claims" if local else "directory")
    if mode not in MODES:
        raise ValueError(f"STAFF_DIRECTORY_MODE must be one of {', '.join(MODES)}, not {text!r}")
    return mode


@dataclass(frozen=True)
class Resolution:
    """Who a signing-in officer is on the platform, and whether the directory must record it (claims mode: a new
    officer, or the token's assignment changed)."""

    entry: Entry
    record: bool = False


def resolve(mode: str, entry: Entry | None, claims: Claims, mapping: GroupMapping, today: date) -> Resolution:
    """Raises Refused when the officer may not work on the platform now."""
    if entry is not None and entry.revoked:
        raise refused("officer_revoked")
    if mode == "directory" or (entry is not None and entry.source == "admin"):
        if entry is None:
            raise refused("officer_not_in_directory")
        if not entry.in_force(today):
            raise refused("officer_not_in_force")
        return Resolution(entry)
    unit, roles = mapping.unit_for(claims), mapping.roles_for(claims)
    if not unit:
        raise refused("officer_without_unit")
    if not roles:
        raise refused("officer_without_roles")
    wanted = Entry(
        subject=claims.subject,
        full_name=claims.name or (entry.full_name if entry else ""),
        title=entry.title if entry else "",
        unit=unit,
        roles=roles_of(roles),
        email=claims.email or (entry.email if entry else ""),
        source="idp",
    )
    if entry is not None:
        wanted = replace(wanted, valid_from=entry.valid_from, valid_to=entry.valid_to)
    return Resolution(wanted, record=wanted != entry)
