"""The generic effects an action's definition declares on the legal clock (`clock:` in data/processes/*.yaml):
start, stop, resume, extend, finish. The default handler of every action without one of its own; handlers of
their own call `apply` too, so the definition stays the one place that says what an action does to the clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from services.chassis.errors import InvalidInput
from services.workflow.adapters import storage

if TYPE_CHECKING:
    from services.workflow.use_cases.actions.context import ActionContext


def start(ctx: ActionContext) -> None:
    """Valid receipt starts the legal clock (DOMAIN.md "Time rules"): the first step opens at the agency holding
    the case, with the procedure's first budget."""
    agency = ctx.changes.get("agency_code", ctx.case["agency_code"])
    level = ctx.changes.get("level", ctx.case["level"])
    ctx.changes.update(received_at=ctx.now, first_agency_code=agency, first_level=level)
    ctx.open_step(agency, level, ctx.procedure.step_budget(0) or 0, 1)
    ctx.recompute = True


def stop(ctx: ActionContext) -> None:
    """The clock stops (a supplement is requested), with the reason recorded."""
    ctx.session.execute(
        storage.case_pauses.insert().values(
            dossier_code=ctx.code, started_at=ctx.now, ended_at=None, reason=ctx.reason
        )
    )
    ctx.changes["paused_since"] = ctx.now


def resume(ctx: ActionContext) -> None:
    """The clock resumes; the due date moves by the working days it was stopped."""
    ctx.session.execute(
        storage.case_pauses.update()
        .where(storage.case_pauses.c.dossier_code == ctx.code, storage.case_pauses.c.ended_at.is_(None))
        .values(ended_at=ctx.now)
    )
    ctx.changes["paused_since"] = None
    ctx.recompute = True


def extend(ctx: ActionContext) -> None:
    """The due date moves by `extra_days` working days (the apology letter, Form 04)."""
    extra = ctx.params.get("extra_days")
    if not isinstance(extra, int) or isinstance(extra, bool) or not 1 <= extra <= 365:
        raise InvalidInput("invalid_params", "Số ngày gia hạn phải là số nguyên từ 1 đến 365.")
    ctx.changes["extension_days"] = ctx.case["extension_days"] + extra
    ctx.recompute = True


def finish(ctx: ActionContext) -> None:
    """The case is finished: its running step ends."""
    ctx.changes["finished_at"] = ctx.now
    ctx.close_step(handed_to="")


EFFECTS: dict[str, Callable[[ActionContext], None]] = {
    "start": start,
    "stop": stop,
    "resume": resume,
    "extend": extend,
    "finish": finish,
}


def apply(ctx: ActionContext) -> None:
    """The effect the action's definition declares, if any: all an action that only moves the state needs."""
    if ctx.action.clock is not None:
        EFFECTS[ctx.action.clock](ctx)
