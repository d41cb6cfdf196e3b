"""transfer: the case goes to another agency (inter-agency processing, liên thông): the running step ends, handed
to it, and a new step opens there with its own budget of working days."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.workflow.adapters import storage
from services.workflow.use_cases.actions import clock, registry
from services.workflow.use_cases.actions.context import ActionContext


@registry.handles("transfer")
def transfer(ctx: ActionContext) -> None:
    """`params.to_agency`; `params.budget_days` (default: the procedure's budget for the next step of its chain)."""
    agency = ctx.agency(str(ctx.params["to_agency"]))
    if agency.code == ctx.case["agency_code"]:
        raise InvalidInput("invalid_params", "Không thể chuyển hồ sơ cho chính cơ quan đang xử lý.")
    done = storage.steps(ctx.session, ctx.code)
    budget = ctx.params.get("budget_days", ctx.procedure.step_budget(len(done)))
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 0:
        raise InvalidInput(
            "invalid_params",
            "Cần số ngày làm việc dành cho cơ quan nhận (budget_days).",
            {"field": "params.budget_days"},
        )
    ctx.close_step(handed_to=agency.code)
    level = ctx.catalogue.territory.level_of(agency)
    ctx.open_step(agency.code, level, budget, len(done) + 1)
    ctx.changes.update(agency_code=agency.code, level=level, assignee="")
    ctx.to_agency = agency.code
    clock.apply(ctx)
