"""receive: a receiving officer (or the platform, where the procedure says `receipt: automatic`) receives a filed
dossier for the competent agency (Form 01); valid receipt starts the legal clock (Decree 118/2025; verify)."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.workflow.use_cases.actions import clock, registry
from services.workflow.use_cases.actions.context import ActionContext


@registry.handles("receive")
def receive(ctx: ActionContext) -> None:
    """For `params.to_agency` (a dossier held for coordination is routed so) or the agency it was routed to."""
    code = ctx.params.get("to_agency") or ctx.case["agency_code"]
    if not code:
        raise InvalidInput("missing_params", "Cần chỉ định cơ quan có thẩm quyền (to_agency).")
    agency = ctx.agency(code)
    ctx.changes.update(agency_code=agency.code, level=ctx.catalogue.territory.level_of(agency))
    clock.apply(ctx)  # start: received_at, the first step, the due date
