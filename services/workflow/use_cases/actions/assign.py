"""assign: a leader gives the case to a handler (`params.assignee`)."""

from __future__ import annotations

from services.workflow.use_cases.actions import clock, registry
from services.workflow.use_cases.actions.context import ActionContext


@registry.handles("assign")
def assign(ctx: ActionContext) -> None:
    ctx.changes["assignee"] = str(ctx.params["assignee"])
    clock.apply(ctx)
