"""Officer and citizen actions on a case: checked against the case's process definition (role, state, reason,
parameters) and the acting officer's unit, applied by the action's handler (actions/), then written as one
change: the case row, its action log entry, the audit chain entry and the DossierStatusChanged event."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from sqlalchemy import bindparam

from services.chassis.clock import iso_utc, utcnow
from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.chassis.statements import prebuilt
from services.workflow.adapters import portal, storage
from services.workflow.domain.actors import actor_roles, public_actor, public_reason
from services.workflow.domain.process import ActionRefused
from services.workflow.use_cases import steps
from services.workflow.use_cases.actions import ActionContext, registry
from services.workflow.use_cases.views import case_view

RECEIPT_DESK_STATES = ("submitted", "coordination", "awaiting_completion")


@dataclass(frozen=True)
class ActionRequest:
    action: str
    params: dict = field(default_factory=dict)
    reason: str = ""
    attachments: list = field(default_factory=list)
    client_txn_id: str | None = None


def act(uow, catalogue, code: str, body: dict, actor: dict, signing=None, sync=None) -> dict:
    """The `act` RPC: apply the action, record the portal sync, answer the case as `actor` sees it now."""
    known = sorted(catalogue.people_actions)
    if body["action"] not in catalogue.people_actions:  # the process definitions say which actions exist
        raise InvalidInput(
            "invalid_request",
            "Dữ liệu gửi lên không hợp lệ.",
            {"fields": {"action": [f"Must be one of: {', '.join(known)}."]}},
        )
    catalogue.refresh(uow.session)
    result = apply(uow, catalogue, code, ActionRequest(**body), actor, signing=signing)
    portal.record_changes(uow, sync)
    view = case_view(uow.session, catalogue, code, actor_roles(actor, catalogue.officer_roles))
    return {**view, "replayed": result["replayed"]}


def apply(
    uow,
    catalogue,
    code: str,
    request: ActionRequest,
    actor: dict,
    now: datetime | None = None,
    signing=None,
    opened: dict | None = None,
) -> dict:
    """Apply `request` to the case `code`. `opened` is the case row when the case was opened in this same
    transaction (nothing to read back about it); otherwise the row is read and locked here."""
    now = now or utcnow()
    case = opened or storage.find_case_for_update(uow.session, code)
    if case is None:
        raise NotFound("case_not_found", "Không tìm thấy hồ sơ.")
    if request.client_txn_id:
        earlier = storage.action_by_txn(uow.session, code, request.client_txn_id)
        if earlier is not None:
            if earlier["action"] != request.action:
                raise Conflict("client_txn_reused", "Mã giao dịch đã được dùng cho một thao tác khác.")
            return {"replayed": True, "status": case["status"]}
    process = catalogue.processes[case["process"]]
    new_status = _check(process, case, request, actor_roles(actor, catalogue.officer_roles))
    _check_unit(catalogue, case, actor)
    ctx = ActionContext(
        uow,
        catalogue,
        case,
        process.actions[request.action],
        actor,
        dict(request.params or {}),
        request.reason or "",
        now,
        fresh=opened is not None,
        signing=signing,
        changes={"status": new_status, "updated_at": now},
    )
    registry.handler_for(request.action)(ctx)
    _write(ctx)
    _record(ctx, request)
    after = registry.after_effect_for(request.action)
    if after is not None:
        after(ctx)
    return {"replayed": False, "status": new_status, "agency_code": ctx.updated["agency_code"]}


def _check(process, case: dict, request: ActionRequest, roles: frozenset[str]) -> str:
    try:
        return process.check(case["status"], request.action, roles, request.reason, request.params or {})
    except ActionRefused as exc:
        error = Forbidden if exc.code == "role_not_allowed" else InvalidInput
        raise error(exc.code, exc.message) from None


def _check_unit(catalogue, case: dict, actor: dict) -> None:
    """Officers act only on cases their unit holds; at receipt, the receiving desk may act too."""
    if actor.get("kind") != "officer":
        return
    units = {case["agency_code"]}
    if case["status"] in RECEIPT_DESK_STATES:
        units.add(case["receiving_agency_code"])
        units |= {a.code for a in catalogue.territory.agencies.values() if a.kind == "service_centre"}
    if actor.get("unit") not in units:
        raise Forbidden("not_your_unit", "Hồ sơ không thuộc đơn vị của bạn.")


def _write(ctx: ActionContext) -> None:
    """The case row with the handler's changes, and the due date (with the running step's) where it moved."""
    closed: tuple = ()
    if ctx.recompute:
        closed = steps.due_changes(ctx.session, ctx.catalogue, ctx.updated, ctx.changes, ctx.fresh)
    # Values as execution parameters (the SET clause follows their keys): a statement built once per set of
    # changed columns, not a new one with every value turned into a bound literal.
    ctx.session.execute(
        prebuilt(
            ("workflow.cases.update",),
            lambda: storage.cases.update().where(storage.cases.c.dossier_code == bindparam("case_code")),
        ),
        {**ctx.changes, "case_code": ctx.code},
    )
    if ctx.recompute and not ctx.fresh:  # a fresh case's only step was just opened with the right due date
        steps.move_open_steps(ctx.session, ctx.catalogue.clock, ctx.code, closed)


def _record(ctx: ActionContext, request: ActionRequest) -> None:
    """The action log entry, the audit chain entry (people's actions) and the status event."""
    _log_action(ctx, request)
    if ctx.actor.get("kind") != "system":
        # Officer (and applicant) actions also go into the tamper-evident audit chain, in this transaction.
        _audit(ctx, request)
    _publish_status_changed(ctx, request)


def _log_action(ctx: ActionContext, request: ActionRequest) -> None:
    """The case's action log entry, with the name an officer signs the forms with."""
    actor, case, updated = ctx.actor, ctx.case, ctx.updated
    logged = dict(ctx.params)
    if actor.get("kind") == "officer" and str(actor.get("name") or "").strip():
        logged["signed_by"] = str(actor["name"]).strip()[:200]  # the name forms are signed with
    storage.append_action(
        ctx.session,
        ctx.code,
        seq=1 if ctx.fresh else None,
        action=request.action,
        from_status=case["status"],
        to_status=updated["status"],
        actor=str(actor.get("subject") or "system"),
        unit=str(actor.get("unit") or updated["agency_code"]),
        reason=ctx.reason,
        at=ctx.now,
        client_txn_id=request.client_txn_id,
        params=json.dumps(logged, ensure_ascii=False),
        attachments=json.dumps(request.attachments or [], ensure_ascii=False),
    )


def _audit(ctx: ActionContext, request: ActionRequest) -> None:
    actor = ctx.actor
    ctx.uow.audit(
        f"{actor.get('kind')}:{actor.get('subject')}",
        f"case.{request.action}",
        ctx.code,
        {
            "unit": str(actor.get("unit") or ""),
            "roles": sorted(actor.get("roles") or []),
            "from_status": ctx.case["status"],
            "to_status": ctx.updated["status"],
            "reason": ctx.reason,
            "params": ctx.params,
            "client_txn_id": request.client_txn_id or "",
        },
    )


def _publish_status_changed(ctx: ActionContext, request: ActionRequest) -> None:
    """DossierStatusChanged, with only what may be public of the actor and the reason."""
    actor, case, updated = ctx.actor, ctx.case, ctx.updated
    change = {
        "dossier_code": ctx.code,
        "procedure_code": updated["procedure_code"],
        "agency_code": updated["agency_code"],
        "from_status": case["status"],
        "to_status": updated["status"],
        "action": request.action,
        "level": updated["level"],
        "actor": public_actor(actor),
        "reason": public_reason(actor, ctx.reason),
        "to_agency_code": ctx.to_agency,
        "clock_stopped": updated["paused_since"] is not None,
    }
    if updated["due_at"] is not None:
        change["due_at"] = iso_utc(updated["due_at"])
    ctx.uow.publish(DossierStatusChanged, change, subject=ctx.code)
