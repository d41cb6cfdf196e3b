"""Case handling: apply an action to a case inside a unit of work (state machine, legal clock, steps, log).

Between the nameko entrypoints (service.py) and the rules (domain/): it reads and writes through storage.py
and records the events to publish; it knows nothing of nameko or the broker.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from motcua.workflow.v1.events_pb2 import DossierStatusChanged, ResultIssued
from sqlalchemy import bindparam

from services.chassis.clock import iso_utc
from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.chassis.statements import dialect_insert, prebuilt
from services.workflow import receipt, storage
from services.workflow.domain.legal_time import LEGAL_TZ, Pause
from services.workflow.domain.process import ActionRefused


def public_actor(actor: dict) -> str:
    """Who acted, as said on public events: an officer's subject, "applicant" or "system"; never a citizen's subject
    (their ID number)."""
    if actor.get("kind") == "officer" and actor.get("subject"):
        return str(actor["subject"])
    return "applicant" if actor.get("kind") == "citizen" else "system"


def public_reason(actor: dict, reason: str | None) -> str:
    """The reason on public events: an officer's or the system's text; a citizen's own free text stays in the case
    history (and the audit chain), never on an exchange."""
    return "" if actor.get("kind") == "citizen" else (reason or "")


def actor_roles(actor: dict, officer_roles: frozenset[str]) -> frozenset[str]:
    """The process roles `actor` acts in: an officer's token roles that the process definitions declare as
    officers' (`officer_roles`), so a token claiming "citizen" or "system" gets nothing from it."""
    if actor.get("kind") == "citizen":
        return frozenset({"citizen"})
    if actor.get("kind") == "system":
        return frozenset({"system"})
    if actor.get("kind") == "officer":
        return frozenset(actor.get("roles") or ()) & officer_roles
    return frozenset()


class CaseHandler:
    """Everything that changes a case. One instance per worker; `catalogue` carries territory, procedures,
    processes and the legal clock."""

    def __init__(self, catalogue, uow, now: datetime | None = None, signing=None):
        self.catalogue = catalogue
        self.signing = signing  # services.workflow.signing.ResultSigning, or None: results issued unsigned
        self.uow = uow
        self.session = uow.session
        self.now = now or datetime.now(timezone.utc)
        # Cases opened by this handler in this transaction: nothing to read back about them (no pauses, no
        # earlier actions, only the step just opened).
        self._fresh: set[str] = set()

    # -- opening ----------------------------------------------------------------------------------------------
    def open_case(self, data) -> tuple[str, str, str] | None:
        """Open the case of a filed dossier in the competent unit's receipt queue (`submitted`: a receiving officer
        checks it before the legal clock starts), or hold it for coordination when nobody can be routed to. It is
        received at once only where the procedure's definition says `receipt: automatic`, or when a receiving
        officer filed it at the counter (received by that officer). Returns (status, level, agency code), or None
        when the dossier's case exists already (a redelivered event: the case's key, the dossier code,
        deduplicates)."""
        procedure = self.catalogue.procedures.get((data.procedure_code, data.procedure_version))
        if procedure is None:
            raise InvalidInput("unknown_procedure_version", f"{data.procedure_code} v{data.procedure_version}")
        territory = self.catalogue.territory
        first_step = procedure.chain[0] if procedure.chain else None
        agency = (territory.chain_agency(first_step, data.applicant_unit_code) if first_step
                  else territory.competent_agency(procedure, data.applicant_unit_code))
        level = territory.level_of(agency) if agency is not None else ""
        # Insert unless the case exists; the new row comes back whole (defaults included) and is handed to the
        # first action: no read before, none after.
        cases = storage.cases
        dialect = self.session.get_bind().dialect.name
        open_once = prebuilt(("workflow.cases.open", dialect), lambda: dialect_insert(self.session, cases)
                             .on_conflict_do_nothing(index_elements=[cases.c.dossier_code]).returning(*cases.c))
        row = self.session.execute(open_once, dict(
            dossier_code=data.dossier_code, procedure_code=procedure.code, procedure_version=procedure.version,
            agency_code=agency.code if agency is not None else "", level=level,
            receiving_agency_code=data.receiving_agency_code,
            applicant_unit_code=data.applicant_unit_code, applicant_ref=data.applicant_ref, status="submitted",
            submitted_at=data.submitted_at.ToDatetime(tzinfo=timezone.utc), received_at=None, due_at=None,
            due_explanation="{}", updated_at=self.now, process=procedure.process,
            channel=data.channel or "online",
        )).mappings().first()
        if row is None:
            return None
        opened = dict(row)
        self._fresh.add(data.dossier_code)
        system = {"kind": "system", "subject": "system", "unit": None, "roles": []}
        if agency is None:
            result = self.act(data.dossier_code, "hold_for_coordination", system, {}, None,
                              reason="Không xác định được cơ quan có thẩm quyền", case=opened)
            return "coordination", "", result["agency_code"]
        if procedure.receipt == "automatic":
            result = self.act(data.dossier_code, "receive", system, {"to_agency": agency.code}, None,
                              reason="Tiếp nhận tự động theo quy định của thủ tục", case=opened)
            return "received", level, result["agency_code"]
        officer = getattr(data, "counter_officer", "")
        if data.channel == "counter" and officer:
            desk = {"kind": "officer", "subject": officer, "unit": data.counter_unit, "roles": ["receiver"]}
            try:
                result = self.act(data.dossier_code, "receive", desk, {"to_agency": agency.code}, None,
                                  reason="Tiếp nhận trực tiếp tại Bộ phận Một cửa", case=opened)
            except Forbidden:  # the filing officer's unit may not receive it: it waits in the receipt queue
                pass
            else:
                return "received", level, result["agency_code"]
        return "submitted", level, agency.code

    # -- actions -------------------------------------------------------------------------------------------------
    def act(self, code: str, action: str, actor: dict, params: dict, client_txn_id: str | None,
            reason: str = "", attachments: list | None = None, case: dict | None = None) -> dict:
        """Apply `action`. `case` is the case row when the caller holds it already, written in this same
        transaction (a case just opened); otherwise it is read and locked here."""
        params = dict(params or {})
        if case is None:
            case = storage.find_case_for_update(self.session, code)
        if case is None:
            raise NotFound("case_not_found", "Không tìm thấy hồ sơ.")
        if client_txn_id:
            earlier = storage.action_by_txn(self.session, code, client_txn_id)
            if earlier is not None:
                if earlier["action"] != action:
                    raise Conflict("client_txn_reused", "Mã giao dịch đã được dùng cho một thao tác khác.")
                return {"replayed": True, "status": case["status"]}
        roles = actor_roles(actor, self.catalogue.officer_roles)
        process = self.catalogue.processes[case["process"]]
        try:
            new_status = process.check(case["status"], action, roles, reason, params)
        except ActionRefused as exc:
            error = Forbidden if exc.code == "role_not_allowed" else InvalidInput
            raise error(exc.code, exc.message) from None
        self._check_unit(case, action, actor, roles)
        self._check_fee(case, action)
        effect = process.actions[action].clock
        changes: dict = {"status": new_status, "updated_at": self.now}
        to_agency = ""
        if action == "receive":
            to_agency = self._receive(case, params, changes)
        elif action == "transfer":
            to_agency = self._transfer(case, params, changes)
        elif action == "assign":
            changes["assignee"] = str(params["assignee"])
        elif effect == "stop":
            self.session.execute(storage.case_pauses.insert().values(
                dossier_code=code, started_at=self.now, ended_at=None, reason=reason))
            changes["paused_since"] = self.now
        elif effect == "resume":
            self.session.execute(storage.case_pauses.update().where(
                storage.case_pauses.c.dossier_code == code, storage.case_pauses.c.ended_at.is_(None)
            ).values(ended_at=self.now))
            changes["paused_since"] = None
        elif effect == "extend":
            extra = params.get("extra_days")
            if not isinstance(extra, int) or isinstance(extra, bool) or not 1 <= extra <= 365:
                raise InvalidInput("invalid_params", "Số ngày gia hạn phải là số nguyên từ 1 đến 365.")
            changes["extension_days"] = case["extension_days"] + extra
        if effect == "finish":
            changes["finished_at"] = self.now
            self._close_step(code, handed_to="")
            if action == "return_result" and case["due_at"] is not None:
                changes["outcome"] = self.catalogue.clock.classify(self.now, case["due_at"])
        recompute = effect in ("resume", "extend") or action == "receive"
        fresh = code in self._fresh
        self._fresh.discard(code)
        closed: tuple = ()
        if recompute:
            closed = self._due_changes(code, {**case, **changes}, changes, fresh)
        # Values as execution parameters (the SET clause follows their keys): a statement built once per set of
        # changed columns, not a new one with every value turned into a bound literal.
        self.session.execute(prebuilt(("workflow.cases.update",), lambda: storage.cases.update().where(
            storage.cases.c.dossier_code == bindparam("case_code"))), {**changes, "case_code": code})
        if recompute and not fresh:  # a fresh case's only step was just opened with the right due date
            self._move_open_steps(code, closed)
        updated = {**case, **changes}  # the row as just written, without reading it back
        logged = dict(params)
        if actor.get("kind") == "officer" and str(actor.get("name") or "").strip():
            logged["signed_by"] = str(actor["name"]).strip()[:200]  # the name forms are signed with
        storage.append_action(
            self.session, code, seq=1 if fresh else None, action=action, from_status=case["status"], to_status=new_status,
            actor=str(actor.get("subject") or "system"), unit=str(actor.get("unit") or updated["agency_code"]),
            reason=reason or "", at=self.now, client_txn_id=client_txn_id,
            params=json.dumps(logged, ensure_ascii=False), attachments=json.dumps(attachments or [],
                                                                                 ensure_ascii=False),
        )
        if actor.get("kind") != "system":
            # Officer (and applicant) actions also go into the tamper-evident audit chain, in this transaction.
            self.uow.audit(f"{actor.get('kind')}:{actor.get('subject')}", f"case.{action}", code, {
                "unit": str(actor.get("unit") or ""), "roles": sorted(actor.get("roles") or []),
                "from_status": case["status"], "to_status": new_status, "reason": reason or "",
                "params": params, "client_txn_id": client_txn_id or ""})
        change = {
            "dossier_code": code, "procedure_code": updated["procedure_code"], "agency_code": updated["agency_code"],
            "from_status": case["status"], "to_status": new_status, "action": action, "level": updated["level"],
            "actor": public_actor(actor), "reason": public_reason(actor, reason), "to_agency_code": to_agency,
            "clock_stopped": updated["paused_since"] is not None,
        }
        if updated["due_at"] is not None:
            change["due_at"] = iso_utc(updated["due_at"])
        self.uow.publish(DossierStatusChanged, change, subject=code)
        if action == "return_result":
            self._issue_result(updated)
        return {"replayed": False, "status": new_status, "agency_code": updated["agency_code"]}

    def _issue_result(self, case: dict) -> None:
        """An approved dossier's result goes back to the registry as a verified document (once-only)."""
        if not any(a["action"] == "approve" for a in storage.history(self.session, case["dossier_code"])):
            return
        procedure = self.catalogue.procedures[(case["procedure_code"], case["procedure_version"])]
        if not procedure.result:
            return
        issued_on = self.now.astimezone(LEGAL_TZ).date()
        valid_days = procedure.result.get("valid_days")
        issuer = self.catalogue.territory.agencies.get(case["agency_code"])
        payload = {
            "dossier_code": case["dossier_code"], "procedure_code": procedure.code,
            "applicant_ref": case["applicant_ref"], "result_type": procedure.result["type"],
            "title": procedure.result["title"], "issuer_agency_code": case["agency_code"],
            "issuer_name": issuer.name if issuer else case["agency_code"], "issued_on": issued_on.isoformat(),
            "expires_on": (issued_on + timedelta(days=valid_days)).isoformat() if valid_days else "",
        }
        if self.signing is not None and self.signing.enabled is True:
            self._issue_signed(payload)
            return
        self.uow.publish(ResultIssued, payload, subject=case["dossier_code"])

    def _issue_signed(self, payload: dict) -> None:
        """Signed results (services/workflow/signing.py): held as pending in this transaction; signed now if the
        signer works, else retried by the service's timer. The result is never lost to a signing failure."""
        from services.workflow import signing

        code = signing.hold_for_signing(self.session, payload, self.now)
        try:
            with self.session.begin_nested():
                signing.sign_and_issue(self.uow, self.signing, code, self.now)
        except Exception:  # noqa: BLE001 - any signing failure leaves the row pending for the retry timer
            pass

    def record_payment(self, code: str, receipt_number: str, amount_vnd: int) -> None:
        case = storage.find_case_for_update(self.session, code)
        amount = f"{amount_vnd:,}".replace(",", ".")  # Vietnamese thousands separator: 100.000
        storage.append_action(
            self.session, code, action="fee_paid", from_status=case["status"], to_status=case["status"],
            actor="payment", unit=case["agency_code"], reason=f"Biên lai {receipt_number}: {amount} đồng",
            at=self.now, client_txn_id=None, params=json.dumps({"receipt_number": receipt_number}), attachments="[]")
        change = {"dossier_code": code, "procedure_code": case["procedure_code"], "agency_code": case["agency_code"],
                  "from_status": case["status"], "to_status": case["status"], "action": "fee_paid",
                  "level": case["level"], "actor": "system", "reason": "",  # the payment platform: not a person
                  "clock_stopped": case["paused_since"] is not None}
        if case["due_at"] is not None:
            change["due_at"] = iso_utc(case["due_at"])
        self.uow.publish(DossierStatusChanged, change, subject=code)

    def _check_fee(self, case: dict, action: str) -> None:
        """Procedures that collect the fee before the result: the result waits for the payment."""
        procedure = self.catalogue.procedures[(case["procedure_code"], case["procedure_version"])]
        if action == "return_result" and procedure.payment_before_result and not any(
                a["action"] == "fee_paid" for a in storage.history(self.session, case["dossier_code"])):
            raise InvalidInput("fee_unpaid", "Hồ sơ chưa hoàn thành nghĩa vụ phí, lệ phí.")

    def _check_unit(self, case: dict, action: str, actor: dict, roles: frozenset[str]) -> None:
        """Officers act only on cases their unit holds; at receipt, the receiving desk may act too."""
        if actor.get("kind") != "officer":
            return
        units = {case["agency_code"]}
        if case["status"] in ("submitted", "coordination", "awaiting_completion"):
            units.add(case["receiving_agency_code"])
            units |= {a.code for a in self.catalogue.territory.agencies.values() if a.kind == "service_centre"}
        if actor.get("unit") not in units:
            raise Forbidden("not_your_unit", "Hồ sơ không thuộc đơn vị của bạn.")

    def _agency(self, code: str):
        agency = self.catalogue.territory.agencies.get(code)
        if agency is None:
            raise InvalidInput("unknown_agency", f"Cơ quan {code} không tồn tại.", {"field": "params.to_agency"})
        return agency

    def _receive(self, case: dict, params: dict, changes: dict) -> str:
        procedure = self.catalogue.procedures[(case["procedure_code"], case["procedure_version"])]
        code = params.get("to_agency") or case["agency_code"]
        if not code:
            raise InvalidInput("missing_params", "Cần chỉ định cơ quan có thẩm quyền (to_agency).")
        agency = self._agency(code)
        changes.update(agency_code=agency.code, level=self.catalogue.territory.level_of(agency),
                       received_at=self.now)
        self._open_step(case["dossier_code"], agency.code, changes["level"], procedure.step_budget(0) or 0, 1)
        return ""

    def _transfer(self, case: dict, params: dict, changes: dict) -> str:
        procedure = self.catalogue.procedures[(case["procedure_code"], case["procedure_version"])]
        agency = self._agency(str(params["to_agency"]))
        if agency.code == case["agency_code"]:
            raise InvalidInput("invalid_params", "Không thể chuyển hồ sơ cho chính cơ quan đang xử lý.")
        done = storage.steps(self.session, case["dossier_code"])
        budget = params.get("budget_days", procedure.step_budget(len(done)))
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 0:
            raise InvalidInput("invalid_params", "Cần số ngày làm việc dành cho cơ quan nhận (budget_days).",
                               {"field": "params.budget_days"})
        self._close_step(case["dossier_code"], handed_to=agency.code)
        level = self.catalogue.territory.level_of(agency)
        self._open_step(case["dossier_code"], agency.code, level, budget, len(done) + 1)
        changes.update(agency_code=agency.code, level=level, assignee="")
        return agency.code

    def _open_step(self, code: str, agency: str, level: str, budget: int, seq: int) -> None:
        due = self.catalogue.clock.deadline(self.now, budget).due_at
        self.session.execute(prebuilt(("workflow.steps.insert",), storage.case_steps.insert), dict(
            dossier_code=code, seq=seq, agency_code=agency, level=level, budget_days=budget, started_at=self.now,
            due_at=due, ended_at=None, outcome="", handed_to=""))

    def _close_step(self, code: str, handed_to: str) -> None:
        current = [s for s in storage.steps(self.session, code) if s["ended_at"] is None]
        for step in current:
            self.session.execute(storage.case_steps.update().where(storage.case_steps.c.id == step["id"]).values(
                ended_at=self.now, outcome=self.catalogue.clock.classify(self.now, step["due_at"]),
                handed_to=handed_to))

    def _due_changes(self, code: str, case: dict, changes: dict, fresh: bool = False) -> tuple:
        """Put the case's new due date (legal clock from receipt, closed pauses off, extensions on) into
        `changes`; return the closed pauses, which also move the running step's due date."""
        procedure = self.catalogue.procedures[(case["procedure_code"], case["procedure_version"])]
        closed = () if fresh else tuple(Pause(p["started_at"], p["ended_at"], p["reason"])
                                        for p in storage.pauses(self.session, code) if p["ended_at"] is not None)
        deadline = self.catalogue.clock.deadline(case["received_at"], procedure.processing_days, closed,
                                                 case["extension_days"])
        changes.update(due_at=deadline.due_at.astimezone(timezone.utc),
                       due_explanation=json.dumps(deadline.explanation, ensure_ascii=False))
        return closed

    def _move_open_steps(self, code: str, closed: tuple) -> None:
        """A resumed clock also moves the running step's due date by the same paused days."""
        for step in storage.steps(self.session, code):
            if step["ended_at"] is None:
                step_pauses = tuple(p for p in closed if p.started_at >= step["started_at"])
                step_due = self.catalogue.clock.deadline(step["started_at"], step["budget_days"], step_pauses)
                self.session.execute(storage.case_steps.update().where(storage.case_steps.c.id == step["id"])
                                     .values(due_at=step_due.due_at))


def case_view(session, catalogue, code: str, roles: frozenset[str] | None = None) -> dict:
    case = storage.find_case(session, code)
    if case is None:
        raise NotFound("case_not_found", "Hồ sơ chưa được tiếp nhận vào quy trình xử lý.")
    process = catalogue.processes[case["process"]]
    actions = storage.history(session, code)
    waiting = receipt.view(case, catalogue, datetime.now(timezone.utc))
    return {
        "dossier_code": case["dossier_code"], "status": case["status"],
        "status_label": process.states.get(case["status"], {}),
        "agency_code": case["agency_code"], "level": case["level"],
        "receiving_agency_code": case["receiving_agency_code"], "procedure_code": case["procedure_code"],
        "procedure_version": case["procedure_version"], "assignee": case["assignee"],
        "submitted_at": iso_utc(case["submitted_at"]), "received_at": iso_utc(case["received_at"]),
        "due_at": iso_utc(case["due_at"]), "due_explanation": json.loads(case["due_explanation"] or "{}"),
        "clock_stopped": case["paused_since"] is not None, "finished_at": iso_utc(case["finished_at"]),
        "outcome": case["outcome"], **waiting,
        "allowed_actions": process.allowed(case["status"], roles) if roles is not None else None,
        "action_requirements": process.requirements(process.allowed(case["status"], roles))
        if roles is not None else None,
        "steps": [{"seq": s["seq"], "agency_code": s["agency_code"], "level": s["level"],
                   "budget_days": s["budget_days"], "started_at": iso_utc(s["started_at"]), "due_at": iso_utc(s["due_at"]),
                   "ended_at": iso_utc(s["ended_at"]), "outcome": s["outcome"], "handed_to": s["handed_to"]}
                  for s in storage.steps(session, code)],
        "pauses": [{"started_at": iso_utc(p["started_at"]), "ended_at": iso_utc(p["ended_at"]), "reason": p["reason"]}
                   for p in storage.pauses(session, code)],
        "history": [{"seq": a["seq"], "action": a["action"], "from_status": a["from_status"],
                     "to_status": a["to_status"], "actor": a["actor"], "unit": a["unit"], "reason": a["reason"],
                     "at": iso_utc(a["at"]), "params": json.loads(a["params"] or "{}"),
                     "attachments": json.loads(a["attachments"] or "[]")} for a in actions],
    }
