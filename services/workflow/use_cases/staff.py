"""The staff directory (issue #22): officers with their name, title, agency, roles and effective dates, kept by a
province administrator or recorded from the identity provider's claims, and how a signing-in officer is resolved
(domain/staff.py). Every change is audited in the workflow's chain and published as the private event
StaffMemberChanged (the gateway drops what it cached about the officer; on "revoked" it ends their sessions).
docs/staff-directory.md says what happens on a move and a revocation."""

from __future__ import annotations

import json
from datetime import date, datetime

from motcua.workflow.v1.events_pb2 import StaffMemberChanged

from services.chassis.clock import iso_utc, legal_day, utcnow
from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.workflow.adapters import staff_store, storage
from services.workflow.domain import staff
from services.workflow.domain.staff import Entry
from services.workflow.use_cases.calendar import check_admin

TASK = "quản lý danh bạ cán bộ"
IDP = "system:idp"  # who recorded what the identity provider's claims said (claims mode)


def view(row: dict, today: date) -> dict:
    """An officer as clients see them (the fields of the contract, then the directory's own)."""
    entry = staff_store.to_entry(row)
    return {
        "subject": entry.subject,
        "full_name": entry.full_name,
        "title": entry.title,
        "unit": entry.unit,
        "roles": list(entry.roles),
        "email": entry.email,
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
        "valid_to": entry.valid_to.isoformat() if entry.valid_to else None,
        "source": entry.source,
        "status": entry.status(today),
        "revoked_at": iso_utc(row["revoked_at"]),
        "revoked_reason": row["revoked_reason"],
        "updated_at": iso_utc(row["updated_at"]),
        "updated_by": row["updated_by"],
    }


def _today(now: datetime | None = None) -> date:
    return legal_day(now or utcnow())


def listing(session, unit: str, include_ended: bool = False, today: date | None = None) -> list[dict]:
    """The officers of an agency in force today (`include_ended`: also those revoked or out of their dates)."""
    today = today or _today()
    views = [view(row, today) for row in staff_store.of_unit(session, unit)]
    return views if include_ended else [v for v in views if v["status"] == "active"]


def get(session, subject: str, with_history: bool = False, today: date | None = None) -> dict | None:
    """One officer, or None; `with_history`: every assignment they held, oldest first."""
    row = staff_store.find(session, subject)
    if row is None:
        return None
    found = view(row, today or _today())
    if with_history:
        found["history"] = [
            {
                "unit": a["unit"],
                "roles": json.loads(a["roles"]),
                "title": a["title"],
                "change": a["change"],
                "started_at": iso_utc(a["started_at"]),
                "ended_at": iso_utc(a["ended_at"]),
                "changed_by": a["changed_by"],
                "reason": a["reason"],
            }
            for a in staff_store.assignments(session, subject)
        ]
    return found


def contacts(session, dossier_code: str, today: date | None = None) -> dict:
    """Whom to remind about a case: its assignee (if in force) and the leaders of its agency (in force)."""
    case = storage.find_case(session, dossier_code)
    if case is None:
        raise NotFound("case_not_found", "Không tìm thấy hồ sơ.")
    today = today or _today()
    assignee = get(session, case["assignee"], today=today) if case["assignee"] else None
    leaders = [o for o in listing(session, case["agency_code"], today=today) if "leader" in o["roles"]]
    return {"assignee": assignee if assignee and assignee["status"] == "active" else None, "leaders": leaders}


def upsert(uow, catalogue, body: dict, actor: dict, now: datetime | None = None) -> dict:
    """A province administrator adds an officer or changes their agency, roles, title, name, e-mail or dates (an
    officer revoked before is admitted again). The entry becomes the administrator's (source `admin`)."""
    check_admin(catalogue, actor, TASK)
    if body["subject"] == actor.get("subject") and "admin" not in body["roles"]:
        raise Conflict("own_admin_role", "Quản trị viên không tự bỏ vai trò quản trị của mình.")
    return record(uow, catalogue, body, f"officer:{actor['subject']}", now=now)


def record(uow, catalogue, body: dict, by: str, now: datetime | None = None, reason: str = "") -> dict:
    """Write an entry as `body` says (validated against the catalogue), audited and published; no authorization
    (upsert checks it; the import and the demo data are the platform's own). {"officer", "change"}."""
    now = now or utcnow()
    today = _today(now)
    after = _entry(catalogue, body, today)
    row = staff_store.find(uow.session, after.subject, for_update=True)
    before = staff_store.to_entry(row) if row else None
    change = staff.change_of(before, after)
    if row is None:
        if not staff_store.insert(uow.session, after, by, now):
            raise Conflict("officer_changed", "Danh bạ vừa được thay đổi; vui lòng tải lại và thử lại.")
    elif change is not None or before.source != after.source:
        staff_store.write(uow.session, after, by, now)
    if staff.opens_assignment(before, after):
        _next_assignment(uow.session, after, change or "changed", by, reason, now)
    if change is not None:
        _announce(uow, after, before, change, by, reason)
    return {"officer": view(staff_store.find(uow.session, after.subject), today), "change": change}


def _entry(catalogue, body: dict, today: date) -> Entry:
    unit = body["unit"]
    if unit not in catalogue.territory.agencies:
        raise InvalidInput("unknown_unit", f"Không có cơ quan mã {unit}.", {"fields": {"unit": ["unknown"]}})
    unknown = sorted(set(body["roles"]) - catalogue.officer_roles)
    if unknown:
        raise InvalidInput(
            "unknown_role",
            f"Vai trò không có trong quy trình: {', '.join(unknown)}.",
            {"fields": {"roles": unknown}, "allowed": sorted(catalogue.officer_roles)},
        )
    valid_from, valid_to = body.get("valid_from"), body.get("valid_to")
    if valid_to is not None and (valid_to < today or (valid_from is not None and valid_to < valid_from)):
        raise InvalidInput(
            "invalid_dates",
            "Ngày hết hiệu lực phải từ hôm nay và sau ngày bắt đầu; để chấm dứt ngay, hãy thu hồi.",
            {"fields": {"valid_to": ["before valid_from or today"]}},
        )
    return Entry(
        subject=body["subject"],
        full_name=body["full_name"].strip(),
        title=(body.get("title") or "").strip(),
        unit=unit,
        roles=staff.roles_of(body["roles"]),
        email=(body.get("email") or "").strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        source="admin",
    )


def revoke(uow, catalogue, subject: str, reason: str, actor: dict, now: datetime | None = None) -> dict:
    """A province administrator revokes an officer: no access from now on (the gateway ends their sessions at
    once); their history stays. Revoking a revoked officer changes nothing. {"officer", "change"}."""
    check_admin(catalogue, actor, TASK)
    if subject == actor.get("subject"):
        raise Conflict("own_entry", "Quản trị viên không tự thu hồi quyền của mình.")
    now = now or utcnow()
    row = staff_store.find(uow.session, subject, for_update=True)
    if row is None:
        raise NotFound("officer_not_found", "Không có cán bộ này trong danh bạ.")
    if row["revoked_at"] is not None:
        return {"officer": view(row, _today(now)), "change": None}
    by = f"officer:{actor['subject']}"
    staff_store.mark_revoked(uow.session, subject, reason.strip(), by, now)
    staff_store.end_assignment(uow.session, subject, now)
    entry = staff_store.to_entry(row)
    _announce(uow, entry, entry, "revoked", by, reason.strip())
    return {"officer": view(staff_store.find(uow.session, subject), _today(now)), "change": "revoked"}


def resolve(uow, settings, raw_claims: dict, now: datetime | None = None) -> dict:
    """Who a signing-in officer is on the platform: {subject, unit, roles, full_name, title}. Forbidden when the
    directory refuses them (domain/staff.py: resolve). In claims mode a new officer, or a changed assignment, is
    recorded (source `idp`), audited and published."""
    now = now or utcnow()
    claims = staff.Claims.of(raw_claims)
    if not claims.subject:
        raise InvalidInput("invalid_request", "Thiếu định danh cán bộ (subject).")
    row = staff_store.find(uow.session, claims.subject)
    entry = staff_store.to_entry(row) if row else None
    try:
        resolution = staff.resolve(settings.mode, entry, claims, settings.mapping, _today(now))
    except staff.Refused as refusal:
        raise Forbidden(refusal.code, refusal.message) from None
    found = resolution.entry
    if resolution.record:
        _record_claims(uow, entry, found, now)
    return {
        "subject": found.subject,
        "unit": found.unit,
        "roles": list(found.roles),
        "full_name": found.full_name,
        "title": found.title,
    }


def _record_claims(uow, before: Entry | None, after: Entry, now: datetime) -> None:
    """Claims mode: the directory follows the token. A replica that lost the race to record a new officer leaves
    it to the winner (one entry, one event)."""
    if before is None:
        if not staff_store.insert(uow.session, after, IDP, now):
            return
    else:
        staff_store.write(uow.session, after, IDP, now)
    change = staff.change_of(before, after)
    if staff.opens_assignment(before, after):
        _next_assignment(uow.session, after, change or "changed", IDP, "", now)
    if change is not None:
        _announce(uow, after, before, change, IDP, "")


def _next_assignment(session, entry: Entry, change: str, by: str, reason: str, now: datetime) -> None:
    staff_store.end_assignment(session, entry.subject, now)
    staff_store.open_assignment(session, entry, change, by, reason, now)


def _announce(uow, entry: Entry, before: Entry | None, change: str, by: str, reason: str) -> None:
    """The change in the audit chain (no name, no e-mail: the chain says who changed what access) and on
    workflow.private."""
    previous = before.unit if before is not None and change == "moved" else ""
    details: dict = {"unit": entry.unit, "roles": list(entry.roles), "source": entry.source}
    if previous:
        details["previous_unit"] = previous
    if before is not None and before.roles != entry.roles:
        details["previous_roles"] = list(before.roles)
    if reason:
        details["reason"] = reason
    uow.audit(by, f"staff.{change}", entry.subject, details)
    uow.publish(
        StaffMemberChanged,
        {"subject": entry.subject, "change": change, "unit": entry.unit, "previous_unit": previous},
    )
