"""The province's settings table (province_settings): every value stored, and a new one. Rules in
domain/province_settings.py, use cases in use_cases/province_settings.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from services.workflow.adapters.storage import bump_mark, province_settings


def rows(session) -> list[dict]:
    """Every stored value, oldest first."""
    query = select(province_settings).order_by(province_settings.c.id)
    return [dict(r) for r in session.execute(query).mappings().all()]


def add(session, name: str, value: str, valid_from: date, reason: str, who: str, now: datetime) -> int:
    result = session.execute(
        province_settings.insert().values(
            name=name, value=value, valid_from=valid_from, reason=reason, changed_by=who, changed_at=now
        )
    )
    bump_mark(session, "settings")
    return int(result.inserted_primary_key[0])
