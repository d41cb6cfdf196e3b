"""Dossier actions from the API and the web: one path for both. An applicant's completion (before receipt) or
supplement answer may carry files: each becomes the next version of the dossier document it names (intake keeps
the versions) and is listed, with its version, among the action's attachments in workflow's history."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway.auth import actor, viewer

WITH_DOCUMENTS = ("complete", "resubmit")


def take(service, principal, code: str, body: dict) -> dict:
    """Act on dossier `code` for `principal`; `body` is the API's ActionRequest (validated), `documents` included."""
    body = dict(body)
    documents = body.pop("documents", None) or []
    if principal.kind == "citizen":
        call(service.intake.get_dossier, code, viewer(principal))  # 404 unless it is theirs
    if documents:
        if body.get("action") not in WITH_DOCUMENTS:
            raise InvalidInput(
                "documents_not_allowed", "Chỉ gửi tệp khi bổ sung, hoàn thiện hồ sơ.", {"field": "documents"}
            )
        # Not added to a dossier that is not waiting for them: the action must be one the applicant may take now.
        case = call(service.workflow.get_case, code, viewer(principal))
        if body["action"] not in (case.get("allowed_actions") or []):
            if body.get(
                "client_txn_id"
            ):  # a retry of an answer already taken: workflow replays it (or refuses)
                return call(service.workflow.act, code, body, actor(principal), timeout=15)
            raise InvalidInput("not_allowed_in_state", "Hồ sơ không ở trạng thái chờ bổ sung, hoàn thiện.")
        added = call(service.intake.add_documents, code, {"documents": documents}, viewer(principal))[
            "documents"
        ]
        body["attachments"] = list(body.get("attachments") or []) + [
            {
                "name": d["file_name"] or d["upload_id"],
                "sha256": d["sha256"],
                "document": d["code"],
                "version": d["version"],
                "upload_id": d["upload_id"],
            }
            for d in added
        ]
    return call(service.workflow.act, code, body, actor(principal), timeout=15)
