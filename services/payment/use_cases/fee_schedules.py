"""The fee schedules a province administrator keeps (docs/province-admin.md): every procedure's versions with the
one in force today, and a procedure's fee changed from a day (today or later) as a new version of its schedule,
audited `fee.changed` in payment's chain. A dossier is assessed on the version in force the day it is received
(use_cases/assessment.py) and keeps that amount: a change never touches a fee already assessed.

Who may: officers holding `admin`; that they administer the province (a province-level agency) is checked by the
gateway with workflow before it calls (payment holds no territory)."""

from __future__ import annotations

from datetime import date, datetime

from services.chassis.clock import iso_utc, legal_day, utcnow
from services.chassis.errors import Forbidden, InvalidInput
from services.payment.adapters import fee_book
from services.payment.domain import fees


def _admin(actor: dict) -> str:
    if actor.get("kind") != "officer" or "admin" not in (actor.get("roles") or []):
        raise Forbidden("role_not_allowed", "Chỉ quản trị viên của tỉnh được thay đổi phí, lệ phí.")
    return str(actor.get("subject") or "")


def _version(row: dict, current_id: int | None) -> dict:
    schedule = row["schedule"]
    return {
        "id": row["id"],
        "valid_from": row["valid_from"].isoformat() if row["valid_from"] > fee_book.BEGINNING else None,
        "lines": schedule.get("lines") or [],
        "reductions": schedule.get("reductions") or [],
        "basis": row["basis"],
        "origin": row["origin"],
        "created_by": row["created_by"],
        "created_at": iso_utc(row["created_at"]),
        "in_force": row["id"] == current_id,
        "base_vnd": fees.assess(schedule, {}, set()).total,
    }


def _procedure(book: fee_book.FeeBook, code: str, today: date) -> dict:
    current = fees.in_force(book.book, code, today)
    versions = book.versions(code)
    return {
        "procedure_code": code,
        "current": current.id if current else None,
        "versions": [_version(r, current.id if current else None) for r in versions],
    }


def listing(db, book: fee_book.FeeBook, now: datetime | None = None) -> list[dict]:
    """Every procedure with a schedule: its versions (the one in force today marked), by procedure code."""
    with db.unit() as uow:
        book.refresh(uow.session)
    today = legal_day(now or utcnow())
    return [_procedure(book, code, today) for code in sorted(book.book)]


def change(db, book: fee_book.FeeBook, procedure_code: str, body: dict, actor: dict, now=None) -> dict:
    """A new version of a procedure's schedule from `valid_from`; the procedure's versions after it."""
    who, now = _admin(actor), now or utcnow()
    today = legal_day(now)
    if body["valid_from"] < today:
        raise InvalidInput(
            "date_in_the_past",
            "Ngày áp dụng không được trước ngày hôm nay: phí đã tính cho hồ sơ không thay đổi.",
            {"field": "valid_from"},
        )
    try:
        schedule = fees.check_schedule({"lines": body["lines"], "reductions": body["reductions"]})
    except fees.FeeScheduleError as exc:
        raise InvalidInput("invalid_schedule", str(exc), {"field": "lines"}) from None
    basis = " ".join(body["basis"].split())
    with db.unit() as uow:
        book.refresh(uow.session)
        before = fees.in_force(book.book, procedure_code, body["valid_from"])
        version_id = fee_book.add(uow.session, procedure_code, schedule, body["valid_from"], basis, who, now)
        uow.audit(
            f"officer:{who}",
            "fee.changed",
            procedure_code,
            {
                "version": version_id,
                "valid_from": body["valid_from"].isoformat(),
                "base_vnd": fees.assess(schedule, {}, set()).total,
                "previous_version": before.id if before else None,
                "previous_base_vnd": fees.assess(before.schedule, {}, set()).total if before else 0,
                "basis": basis,
            },
        )
        book.refresh(uow.session)
    return _procedure(book, procedure_code, today)
