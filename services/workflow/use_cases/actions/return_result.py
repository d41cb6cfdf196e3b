"""return_result: the result goes back to the applicant; the case finishes, classified early, on time or late
against its due date (Decision 766/QĐ-TTg indicators). A procedure that collects its fee before the result waits
for the payment. An approved dossier's result is issued to the registry as a verified document (once-only),
signed when signing is configured (adapters/signing.py)."""

from __future__ import annotations

from datetime import timedelta

from motcua.workflow.v1.events_pb2 import ResultIssued

from services.chassis.clock import legal_day
from services.chassis.errors import InvalidInput
from services.workflow.adapters import signing, storage
from services.workflow.use_cases.actions import clock, registry
from services.workflow.use_cases.actions.context import ActionContext


@registry.handles("return_result")
def return_result(ctx: ActionContext) -> None:
    if ctx.procedure.payment_before_result and not _done(ctx, "fee_paid"):
        raise InvalidInput("fee_unpaid", "Hồ sơ chưa hoàn thành nghĩa vụ phí, lệ phí.")
    clock.apply(ctx)  # finish
    if ctx.case["due_at"] is not None:
        ctx.changes["outcome"] = ctx.catalogue.clock.classify(ctx.now, ctx.case["due_at"])


@registry.after("return_result")
def issue_result(ctx: ActionContext) -> None:
    """An approved dossier's result goes back to the registry as a verified document (once-only)."""
    procedure = ctx.procedure
    if not procedure.result or not _done(ctx, "approve"):
        return
    case = ctx.updated
    issued_on = legal_day(ctx.now)
    valid_days = procedure.result.get("valid_days")
    issuer = ctx.catalogue.territory.agencies.get(case["agency_code"])
    payload = {
        "dossier_code": case["dossier_code"],
        "procedure_code": procedure.code,
        "applicant_ref": case["applicant_ref"],
        "result_type": procedure.result["type"],
        "title": procedure.result["title"],
        "issuer_agency_code": case["agency_code"],
        "issuer_name": issuer.name if issuer else case["agency_code"],
        "issued_on": issued_on.isoformat(),
        "expires_on": (issued_on + timedelta(days=valid_days)).isoformat() if valid_days else "",
    }
    if ctx.signing is not None and ctx.signing.enabled is True:
        _issue_signed(ctx, payload)
        return
    ctx.uow.publish(ResultIssued, payload, subject=case["dossier_code"])


def _issue_signed(ctx: ActionContext, payload: dict) -> None:
    """Held as pending in this transaction; signed now if the signer works, else retried by the service's timer.
    The result is never lost to a signing failure."""
    code = signing.hold_for_signing(ctx.session, payload, ctx.now)
    try:
        with ctx.session.begin_nested():
            signing.sign_and_issue(ctx.uow, ctx.signing, code, ctx.now)
    except Exception:  # noqa: BLE001 - any signing failure leaves the row pending for the retry timer
        pass


def _done(ctx: ActionContext, action: str) -> bool:
    return any(a["action"] == action for a in storage.history(ctx.session, ctx.code))
