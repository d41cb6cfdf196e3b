"""Cases opened and fed by events: a filed dossier opens its case (DossierSubmitted), a paid fee enters its log
(PaymentCompleted)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from motcua.workflow.v1.events_pb2 import DossierStatusChanged

from services.chassis.clock import iso_utc, legal_day, utcnow
from services.chassis.errors import Forbidden, InvalidInput, Unavailable
from services.chassis.statements import dialect_insert, prebuilt
from services.workflow.adapters import portal, storage
from services.workflow.domain.actors import SYSTEM
from services.workflow.use_cases.act import ActionRequest, apply
from services.workflow.use_cases.catalogue import first_agency

ROUTING_FAILED = "Không xác định được cơ quan có thẩm quyền"
AUTOMATIC = "Tiếp nhận tự động theo quy định của thủ tục"
AT_THE_COUNTER = "Tiếp nhận trực tiếp tại Bộ phận Một cửa"


def on_submitted(uow, catalogue, data, sync=None) -> tuple[str, str, str] | None:
    """The DossierSubmitted handler's use case: open the case, record the portal sync."""
    catalogue.refresh(uow.session)
    opened = open_case(uow, catalogue, data)
    if opened is not None:
        portal.record_changes(uow, sync)
    return opened


def open_case(uow, catalogue, data, now: datetime | None = None) -> tuple[str, str, str] | None:
    """Open the case of a filed dossier in the competent unit's receipt queue (`submitted`: a receiving officer
    checks it before the legal clock starts), or hold it for coordination when nobody can be routed to. It is
    received at once only where the procedure's definition says `receipt: automatic`, or when a receiving
    officer filed it at the counter (received by that officer). Returns (status, level, agency code), or None
    when the dossier's case exists already (a redelivered event: the case's key, the dossier code,
    deduplicates)."""
    now = now or utcnow()
    procedure = catalogue.procedures.get((data.procedure_code, data.procedure_version))
    if procedure is None:
        raise InvalidInput("unknown_procedure_version", f"{data.procedure_code} v{data.procedure_version}")
    agency = first_agency(catalogue.territory, procedure, data.applicant_unit_code, legal_day(now))
    level = catalogue.territory.level_of(agency) if agency is not None else ""
    opened = _insert(uow.session, data, procedure, agency.code if agency is not None else "", level, now)
    if opened is None:
        return None

    def first(action: str, actor: dict, reason: str, params: dict) -> dict:
        return apply(
            uow,
            catalogue,
            data.dossier_code,
            ActionRequest(action, params, reason),
            actor,
            now=now,
            opened=opened,
        )

    if agency is None:
        return "coordination", "", first("hold_for_coordination", SYSTEM, ROUTING_FAILED, {})["agency_code"]
    if procedure.receipt == "automatic":
        return (
            "received",
            level,
            first("receive", SYSTEM, AUTOMATIC, {"to_agency": agency.code})["agency_code"],
        )
    officer = getattr(data, "counter_officer", "")
    if data.channel == "counter" and officer:
        desk = {"kind": "officer", "subject": officer, "unit": data.counter_unit, "roles": ["receiver"]}
        try:
            result = first("receive", desk, AT_THE_COUNTER, {"to_agency": agency.code})
        except Forbidden:  # the filing officer's unit may not receive it: it waits in the receipt queue
            pass
        else:
            return "received", level, result["agency_code"]
    return "submitted", level, agency.code


def _insert(session, data, procedure, agency_code: str, level: str, now: datetime) -> dict | None:
    """Insert unless the case exists; the new row comes back whole (defaults included) and is handed to the
    first action: no read before, none after. None when it existed."""
    cases = storage.cases
    dialect = session.get_bind().dialect.name
    open_once = prebuilt(
        ("workflow.cases.open", dialect),
        lambda: (
            dialect_insert(session, cases)
            .on_conflict_do_nothing(index_elements=[cases.c.dossier_code])
            .returning(*cases.c)
        ),
    )
    row = (
        session.execute(
            open_once,
            dict(
                dossier_code=data.dossier_code,
                procedure_code=procedure.code,
                procedure_version=procedure.version,
                agency_code=agency_code,
                level=level,
                receiving_agency_code=data.receiving_agency_code,
                applicant_unit_code=data.applicant_unit_code,
                applicant_ref=data.applicant_ref,
                status="submitted",
                submitted_at=data.submitted_at.ToDatetime(tzinfo=timezone.utc),
                received_at=None,
                due_at=None,
                due_explanation="{}",
                updated_at=now,
                process=procedure.process,
                channel=data.channel or "online",
            ),
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def record_payment(uow, data, now: datetime | None = None) -> None:
    """The fee is paid: the case's log says so (a result held for payment may now be returned), and a status
    event without a change of status tells the others."""
    code = data.dossier_code
    case = storage.find_case_for_update(uow.session, code)
    if case is None:
        raise Unavailable("case_not_open_yet", "payment arrived before the case; retried")
    amount = f"{data.amount_vnd:,}".replace(",", ".")  # Vietnamese thousands separator: 100.000
    storage.append_action(
        uow.session,
        code,
        action="fee_paid",
        from_status=case["status"],
        to_status=case["status"],
        actor="payment",
        unit=case["agency_code"],
        reason=f"Biên lai {data.receipt_number}: {amount} đồng",
        at=now or utcnow(),
        client_txn_id=None,
        params=json.dumps({"receipt_number": data.receipt_number}),
        attachments="[]",
    )
    change = {
        "dossier_code": code,
        "procedure_code": case["procedure_code"],
        "agency_code": case["agency_code"],
        "from_status": case["status"],
        "to_status": case["status"],
        "action": "fee_paid",
        "level": case["level"],
        "actor": "system",
        "reason": "",  # the payment platform: not a person
        "clock_stopped": case["paused_since"] is not None,
    }
    if case["due_at"] is not None:
        change["due_at"] = iso_utc(case["due_at"])
    uow.publish(DossierStatusChanged, change, subject=code)
