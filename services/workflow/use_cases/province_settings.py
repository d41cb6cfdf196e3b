"""The province's settings (docs/province-settings.md): each with its value today and where it comes from (an
administrator's, the environment's, the default), the values set from later days, and every change; a new value
from a day (today or later) by a province administrator, audited `setting.changed` and in force on every replica
from its next request (the catalogue's mark, services/workflow/dependencies.py). Rules in
domain/province_settings.py."""

from __future__ import annotations

import os
from datetime import datetime

from services.chassis.clock import iso_utc, legal_day, utcnow
from services.chassis.errors import InvalidInput
from services.workflow.adapters import settings_store
from services.workflow.domain import province_settings as rules
from services.workflow.use_cases import calendar

TASK = "thay đổi cài đặt của tỉnh"


def _stored(row: dict) -> dict:
    return {
        "value": row["value"],
        "valid_from": row["valid_from"].isoformat(),
        "reason": row["reason"],
        "changed_by": row["changed_by"],
        "changed_at": iso_utc(row["changed_at"]),
    }


def listing(session, catalogue, now: datetime | None = None) -> list[dict]:
    """Every setting: its words, today's value and origin, the values set from later days, its history."""
    rows, today = settings_store.rows(session), legal_day(now or utcnow())
    found = []
    for name, setting in rules.SETTINGS.items():
        value = rules.in_force(rows, name, today, os.environ)
        mine = [r for r in rows if r["name"] == name]
        found.append(
            {
                "name": name,
                "label": setting.label,
                "help": setting.help,
                "basis": setting.basis,
                "env": setting.env,
                "value": value.text,
                "origin": value.origin,
                "since": value.row["valid_from"].isoformat() if value.row else None,
                "scheduled": [_stored(r) for r in mine if r["valid_from"] > today],
                "history": [_stored(r) for r in reversed(mine)],
            }
        )
    return found


def change(uow, catalogue, name: str, body: dict, actor: dict, now: datetime | None = None) -> dict:
    """A new value of setting `name` from `valid_from` (today or later), checked by the setting itself; audited
    with the value it replaces on that day. The setting as `listing` shows it."""
    calendar.check_admin(catalogue, actor, TASK)
    now, who = now or utcnow(), str(actor.get("subject") or "")
    try:
        text, _ = rules.check(name, body["value"])
    except rules.SettingRefused as exc:
        raise InvalidInput(exc.code, exc.message, {"field": "value", "setting": name}) from None
    if body["valid_from"] < legal_day(now):
        raise InvalidInput(
            "date_in_the_past", "Ngày áp dụng không được trước ngày hôm nay.", {"field": "valid_from"}
        )
    session = uow.session
    before = rules.in_force(settings_store.rows(session), name, body["valid_from"], os.environ)
    reason = " ".join(body["reason"].split())
    settings_store.add(session, name, text, body["valid_from"], reason, who, now)
    uow.audit(
        f"officer:{who}",
        "setting.changed",
        name,
        {
            "value": text,
            "valid_from": body["valid_from"].isoformat(),
            "previous": before.text,
            "previous_origin": before.origin,
            "reason": reason,
        },
    )
    catalogue.refresh(session, force=True)
    return next(s for s in listing(session, catalogue, now) if s["name"] == name)
