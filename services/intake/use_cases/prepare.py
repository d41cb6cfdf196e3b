"""Preparing a submission form: the applicant's data from the registry (never typed again) and, for each
required document, the valid ones the citizen already holds."""

from __future__ import annotations

from services.chassis.errors import Forbidden
from services.intake.domain import documents
from services.intake.use_cases import Ports


def prepare_form(ports: Ports, procedure_code: str, who: dict) -> dict:
    """{applicant, procedure, agency_code, agency_name, documents: [requirement + reusable]}. Citizens only:
    the registry logs the reads as the citizen's own (`self`)."""
    if who["kind"] != "citizen":
        raise Forbidden("citizens_only", "Chỉ công dân chuẩn bị hồ sơ cho chính mình.")
    person = ports.registry.person(who["subject"], "self")
    route = ports.workflow.route(procedure_code, person["address_unit_code"])
    requirements = route["procedure"].get("documents") or []
    held = ports.registry.valid_documents(who["subject"], documents.wanted(requirements), "self")
    return {
        "applicant": person,
        "procedure": route["procedure"],
        "agency_code": route["agency_code"],
        "agency_name": route["agency_name"],
        "documents": [
            {**r, "reusable": [d for d in held if d["doc_type"] == r["code"]]} for r in requirements
        ],
    }
