"""The national portal's synchronisation (adapters/portal.py) as province officers see it."""

from __future__ import annotations

from services.chassis.errors import Forbidden
from services.workflow.adapters import portal
from services.workflow.use_cases.results import is_admin


def reconciliation(session, catalogue, actor: dict, dossier_code: str | None) -> dict:
    """What the national portal has acknowledged and what not (officers of a province-level agency, or
    administrators)."""
    agency = catalogue.territory.agencies.get(actor.get("unit") or "")
    province = agency is not None and catalogue.territory.level_of(agency) == "province"
    if actor.get("kind") != "officer" or not (is_admin(catalogue, actor) or province):
        raise Forbidden("role_not_allowed", "Chỉ cán bộ cấp tỉnh hoặc quản trị được xem đối soát.")
    return portal.reconciliation(session, dossier_code)
