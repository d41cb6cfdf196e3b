"""Catalogue queries: the procedures in force that match a search, with the values a client may filter by."""
from __future__ import annotations

from datetime import date

from services.chassis.errors import InvalidInput
from services.workflow.domain import catalogue


def search(cat, body: dict, today: date) -> dict:
    """The search_procedures use case: check the filter values against the model and catalogue in force, then
    search the precomputed index."""
    index, levels = cat.search, cat.territory.levels
    if body["level"] and body["level"] not in levels:
        raise InvalidInput("unknown_level", f"Cấp {body['level']} không có trong mô hình đang áp dụng "
                                            f"({', '.join(levels)}).", {"field": "level", "allowed": list(levels)})
    if body["online"] and body["online"] not in catalogue.MODES:
        raise InvalidInput("unknown_online_mode", "Mức độ trực tuyến phải là full (toàn trình) hoặc partial (một phần).",
                           {"field": "online", "allowed": sorted(catalogue.MODES)})
    if body["field"] and index.field_named(body["field"]) is None:
        raise InvalidInput("unknown_field", f"Lĩnh vực {body['field']} không có trong danh mục.",
                           {"field": "field", "allowed": [f.get("vi") for f in index.fields()]})
    found = index.search(today, body["q"], body["level"], body["field"], body["online"])
    return {"items": [dict(p.to_dict(), level=index.level_of(p)) for p in found],
            "total": len(index.in_force(today)), "levels": list(levels), "fields": index.fields(),
            "online_modes": sorted(catalogue.MODES)}
