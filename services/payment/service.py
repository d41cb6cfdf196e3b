"""Payment service: fees assessed at receipt, paid through a signed gateway, confirmed only by the signed IPN
(or by reconciliation), refunded within what is refundable, receipted."""
from __future__ import annotations

import json
import os
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from motcua.payment.v1.events_pb2 import (
    PaymentCompleted,
    PaymentExpired,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
)
from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer
from prometheus_client import Counter, Gauge
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from services.chassis import audit, idempotency
from services.chassis.clock import iso_utc
from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from services.chassis.logs import LogContext
from services.chassis.metrics import EVENTS_DUPLICATE, EntrypointMetrics
from services.chassis.rpc import call
from services.chassis.statements import dialect_insert, prebuilt
from services.payment import storage
from services.payment.domain import vnpay
from services.payment.domain.fees import assess, load_schedules
from services.payment.gateways import GatewayError, GatewayProvider

DATA_DIR = Path(__file__).parent / "data"
LEGAL_TZ = vnpay.GMT7
EXPIRY = timedelta(minutes=float(os.environ.get("PAYMENT_EXPIRY_MINUTES", "30")))
RECONCILE_AFTER = timedelta(seconds=float(os.environ.get("PAYMENT_RECONCILE_AFTER_SECONDS", "600")))
RECONCILE_EVERY = float(os.environ.get("PAYMENT_RECONCILE_INTERVAL_SECONDS", "60"))
IPN = Counter("motcua_payment_ipn_total", "IPN callbacks by answer code.", ["rsp_code"])
SIGNATURE_FAILURES = Counter("motcua_payment_signature_failures_total", "Callbacks refused for a bad signature.")
RECONCILED = Counter("motcua_payment_reconciled_total", "Attempts settled by reconciliation (QueryDR).",
                     ["outcome"])
MISMATCHES = Counter("motcua_payment_reconciliation_mismatches_total",
                     "Differences found between our ledger and the gateway.", ["kind"])
PAYMENTS = Counter("motcua_payment_payments_total", "Payments by final state.", ["status"])
REFUNDS = Counter("motcua_payment_refunds_total", "Refund requests by outcome (done, failed, unknown) and settlements "
                  "of unknown ones (settled_done, settled_failed).", ["outcome"])
REFUNDS_UNKNOWN = Gauge("motcua_payment_refunds_unknown", "Refunds whose outcome is unknown, amount held, waiting "
                        "for a leader to settle them against the gateway's statement.")
UNKNOWN_TEXT = ("Chưa rõ cổng thanh toán đã hoàn tiền hay chưa. Số tiền được giữ lại và sẽ không bị hoàn lần nữa; "
                "lãnh đạo xác nhận kết quả sau khi đối soát với sao kê của cổng thanh toán.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Schedules(DependencyProvider):
    def setup(self):
        self.schedules = load_schedules(Path(os.environ.get("MOTCUA_FEES_FILE", str(DATA_DIR / "fees.yaml"))))

    def get_dependency(self, worker_ctx):
        return self.schedules


def _answer(code: tuple[str, str]) -> dict:
    IPN.labels(code[0]).inc()
    return {"RspCode": code[0], "Message": code[1]}


class PaymentService(audit.AuditChainRpc):
    name = "payment"

    db = Database(storage.metadata)
    gateway = GatewayProvider()
    schedules = Schedules()
    intake = RpcProxy("intake")
    log = LogContext()
    metrics = EntrypointMetrics()

    # -- assessment ---------------------------------------------------------------------------------------------
    @on_event(DossierStatusChanged)
    def on_dossier_status_changed(self, event):
        """At receipt, assess the fee; if something is due, open a payment request."""
        data = event.data
        if data.action != "receive" or data.to_status != "received":
            return
        schedule = next((s for (code, _), s in self.schedules.items() if code == data.procedure_code), None)
        if schedule is None:
            return
        dossier = call(self.intake.get_dossier, data.dossier_code, {"subject": "payment", "kind": "agency",
                                                                     "unit": None, "roles": []})
        assessment = assess(schedule, dossier.get("form") or {}, set())
        if assessment.total <= 0:
            return
        now = _now()
        # The dossier code is unique among payments: a redelivered event (or a dossier received again) inserts
        # nothing and publishes nothing. That deduplicates on its own, so no inbox claim beside it.
        with self.db.unit() as uow:
            payments = storage.payments
            dialect = uow.session.get_bind().dialect.name
            opened = uow.session.execute(prebuilt(("payment.payments.open", dialect), lambda: dialect_insert(
                uow.session, payments).on_conflict_do_nothing(index_elements=[payments.c.dossier_code])
                .returning(payments.c.id)), dict(
                id=str(uuid.uuid4()), dossier_code=data.dossier_code, amount_vnd=assessment.total,
                assessment=json.dumps(assessment.to_dict(), ensure_ascii=False),
                payer_name=dossier["applicant"]["full_name"], status="pending", created_at=now,
                expires_at=now + EXPIRY, refunded_vnd=0)).scalar()
            if opened is None:
                EVENTS_DUPLICATE.labels("payment", "on_dossier_status_changed").inc()
                return
            uow.publish(PaymentRequested, {"payment_id": opened, "dossier_code": data.dossier_code,
                                           "amount_vnd": assessment.total, "expires_at": iso_utc(now + EXPIRY)},
                        subject=data.dossier_code)

    # -- paying -------------------------------------------------------------------------------------------------
    @rpc
    def get_payment(self, dossier_code: str) -> dict:
        """The fee of a dossier: lines, total, status, receipt number."""
        with self.db.unit() as uow:
            payment = storage.find_payment(uow.session, dossier_code=dossier_code)
            if payment is None:
                raise NotFound("payment_not_found", "Hồ sơ không có khoản phí cần thanh toán.")
            receipt = uow.session.execute(select(storage.receipts.c.number).where(
                storage.receipts.c.payment_id == payment["id"])).scalar_one_or_none()
            refunds = uow.session.execute(select(
                storage.refunds.c.id, storage.refunds.c.amount_vnd, storage.refunds.c.status,
                storage.refunds.c.reason, storage.refunds.c.requested_at).where(
                storage.refunds.c.payment_id == payment["id"]).order_by(storage.refunds.c.requested_at)).all()
        # refunded_vnd counts what is paid out or held (a refund being asked, or one whose outcome is unknown)
        return {"id": payment["id"], "dossier_code": dossier_code, "amount_vnd": payment["amount_vnd"],
                "assessment": json.loads(payment["assessment"]), "status": payment["status"],
                "expires_at": iso_utc(payment["expires_at"]), "paid_at": iso_utc(payment["paid_at"]),
                "refunded_vnd": payment["refunded_vnd"], "receipt_number": receipt,
                "refunds": [{"id": r.id, "amount_vnd": r.amount_vnd, "status": r.status, "reason": r.reason,
                             "requested_at": iso_utc(r.requested_at)} for r in refunds]}

    @rpc
    def start_payment(self, dossier_code: str, client_ip: str, payer: str = "",
                      idempotency_key: str | None = None) -> dict:
        """A new attempt (its own vnp_TxnRef) and the signed URL to send the citizen to.

        With `idempotency_key` (a key of `payer`, the citizen paying), a retry answers with the same attempt and
        URL (`replayed: True`) instead of opening another one; the key on another dossier: Conflict."""
        key = idempotency.checked_key(idempotency_key)
        if key and not payer:
            raise InvalidInput("payer_required", "Cần biết người thanh toán để dùng Idempotency-Key.")
        now = _now()

        def create(uow) -> dict:
            payment = storage.find_payment(uow.session, dossier_code=dossier_code, for_update=True)
            if payment is None:
                raise NotFound("payment_not_found", "Hồ sơ không có khoản phí cần thanh toán.")
            if payment["status"] != "pending":
                raise InvalidInput("payment_not_pending", "Khoản phí này đã được thanh toán hoặc đã hết hạn.",
                                   {"status": payment["status"]})
            if payment["expires_at"] <= now:
                raise InvalidInput("payment_expired", "Yêu cầu thanh toán đã hết hạn.")
            count = uow.session.execute(select(func.count()).select_from(storage.attempts).where(
                storage.attempts.c.payment_id == payment["id"])).scalar_one()
            txn_ref = f"{payment['id'][:8].upper()}{count + 1:03d}"
            uow.session.execute(storage.attempts.insert().values(
                txn_ref=txn_ref, payment_id=payment["id"], amount_vnd=payment["amount_vnd"], status="pending",
                created_at=now, updated_at=now, gateway_response_code=""))
            url = self.gateway.payment_url(txn_ref, payment["amount_vnd"], f"Thanh toan phi ho so {dossier_code}",
                                           client_ip or "127.0.0.1", now, payment["expires_at"])
            return {"payment_url": url, "txn_ref": txn_ref, "amount_vnd": payment["amount_vnd"],
                    "expires_at": iso_utc(payment["expires_at"])}

        digest = idempotency.request_hash({"dossier_code": dossier_code}, "start_payment")
        return idempotency.perform(self.db, payer, key, digest, create)

    @rpc
    def handle_ipn(self, params: dict) -> dict:
        """The gateway's server-to-server callback: the only thing (with reconciliation) that changes a payment.
        Answers with VNPay's RspCode: 97 bad signature, 01 unknown order, 04 wrong amount, 02 already
        confirmed, 00 confirmed, 99 anything else (expired payment included). Replays change nothing."""
        params = {str(k): str(v) for k, v in (params or {}).items()}
        txn_ref = params.get("vnp_TxnRef", "")
        if not self.gateway.verify(params):
            SIGNATURE_FAILURES.inc()
            return self._logged(txn_ref, params, vnpay.INVALID_SIGNATURE)
        return self._logged(txn_ref, params, self._settle(txn_ref, params, "ipn"))

    def _logged(self, txn_ref: str, params: dict, code: tuple[str, str]) -> dict:
        with self.db.unit() as uow:
            safe = {k: v for k, v in params.items() if k != "vnp_SecureHash"}
            uow.session.execute(storage.ipn_log.insert().values(
                txn_ref=txn_ref[:60], params=json.dumps(safe, ensure_ascii=False)[:4000], rsp_code=code[0],
                received_at=_now()))
        return _answer(code)

    def _settle(self, txn_ref: str, params: dict, via: str) -> tuple[str, str]:
        """Apply a verified gateway result to an attempt, atomically; return the RspCode to answer."""
        now = _now()
        with self.db.unit() as uow:
            attempt = uow.session.execute(select(storage.attempts).where(
                storage.attempts.c.txn_ref == txn_ref)).mappings().first()
            if attempt is None:
                return vnpay.ORDER_NOT_FOUND
            payment = storage.find_payment(uow.session, payment_id=attempt["payment_id"], for_update=True)
            try:
                amount = int(params.get("vnp_Amount", "-1"))
            except ValueError:
                return vnpay.INVALID_AMOUNT
            if amount != attempt["amount_vnd"] * 100:
                return vnpay.INVALID_AMOUNT
            if attempt["status"] != "pending" or payment["status"] == "paid":
                return vnpay.ALREADY_CONFIRMED
            if payment["status"] != "pending" or payment["expires_at"] <= now:
                MISMATCHES.labels("paid_after_expiry" if vnpay.ipn_outcome(params) == "paid" else "late_callback").inc()
                return ("99", "Payment expired")
            outcome = vnpay.ipn_outcome(params)
            changed = uow.session.execute(update(storage.attempts).where(
                storage.attempts.c.txn_ref == txn_ref, storage.attempts.c.status == "pending").values(
                status=outcome, updated_at=now, gateway_response_code=params.get("vnp_ResponseCode", ""))).rowcount
            if not changed:
                return vnpay.ALREADY_CONFIRMED
            if outcome == "failed":
                uow.publish(PaymentFailed, {"payment_id": payment["id"], "dossier_code": payment["dossier_code"],
                                            "reason": f"gateway code {params.get('vnp_ResponseCode', '')}"},
                            subject=payment["dossier_code"])
                return vnpay.CONFIRMED
            if not uow.session.execute(update(storage.payments).where(
                    storage.payments.c.id == payment["id"], storage.payments.c.status == "pending").values(
                    status="paid", paid_at=now, gateway_transaction_no=params.get("vnp_TransactionNo", ""),
                    paid_txn_ref=txn_ref)).rowcount:
                return vnpay.ALREADY_CONFIRMED
            receipt = self._issue_receipt(uow.session, payment, now)
            uow.publish(PaymentCompleted, {
                "payment_id": payment["id"], "dossier_code": payment["dossier_code"],
                "amount_vnd": payment["amount_vnd"], "receipt_number": receipt,
                "gateway_transaction_no": params.get("vnp_TransactionNo", ""), "confirmed_by": via,
            }, subject=payment["dossier_code"])
        PAYMENTS.labels("paid").inc()
        return vnpay.CONFIRMED

    def _issue_receipt(self, session, payment: dict, now: datetime) -> str:
        year = now.astimezone(LEGAL_TZ).year
        seq = (session.execute(select(func.coalesce(func.max(storage.receipts.c.seq), 0)).where(
            storage.receipts.c.year == year)).scalar_one()) + 1
        number = f"BL{year}-{seq:07d}"
        assessment = json.loads(payment["assessment"])
        session.execute(storage.receipts.insert().values(
            number=number, payment_id=payment["id"], year=year, seq=seq, payer_name=payment["payer_name"],
            lines=json.dumps(assessment["lines"], ensure_ascii=False), amount_vnd=payment["amount_vnd"],
            issued_at=now))
        return number

    @rpc
    def get_receipt(self, dossier_code: str) -> dict:
        """The e-receipt (biên lai điện tử) of a dossier's paid fee."""
        with self.db.unit() as uow:
            payment = storage.find_payment(uow.session, dossier_code=dossier_code)
            receipt = payment and uow.session.execute(select(storage.receipts).where(
                storage.receipts.c.payment_id == payment["id"])).mappings().first()
        if not receipt:
            raise NotFound("receipt_not_found", "Chưa có biên lai cho hồ sơ này.")
        return {"number": receipt["number"], "dossier_code": dossier_code, "payer_name": receipt["payer_name"],
                "lines": json.loads(receipt["lines"]), "amount_vnd": receipt["amount_vnd"],
                "issued_at": iso_utc(receipt["issued_at"]), "gateway_transaction_no": payment["gateway_transaction_no"]}

    # -- refunds --------------------------------------------------------------------------------------------------
    @rpc
    def refund(self, dossier_code: str, amount_vnd: int, reason: str, actor: dict,
               idempotency_key: str | None = None) -> dict:
        """Refund part or all of a paid fee (officers: leader). Never more than what is still refundable, even
        under concurrent requests: the amount is reserved by one conditional update before the gateway call.

        With `idempotency_key` (the officer's), a retry never refunds again: it gets the first refund's answer
        (`replayed: True`), or Conflict `refund_in_progress` while the gateway has not answered the first yet.
        The key is kept with the reservation and dropped with it if the gateway refuses (a retry then tries
        again); the same key with another amount, reason or dossier: Conflict.

        When the gateway's answer is lost (timeout, dropped connection, unsigned answer) nobody knows whether
        the money went out: the refund becomes `unknown`, its amount stays reserved, the key stays taken
        (Conflict `refund_outcome_unknown`), and nothing retries it; a leader settles it with `settle_refund`
        after checking the gateway's statement. Retrying automatically is how refunds get paid twice."""
        if actor.get("kind") != "officer" or "leader" not in (actor.get("roles") or []):
            raise Forbidden("role_not_allowed", "Chỉ lãnh đạo được duyệt hoàn phí.")
        if not isinstance(amount_vnd, int) or isinstance(amount_vnd, bool) or amount_vnd <= 0:
            raise InvalidInput("invalid_amount", "Số tiền hoàn phải là số nguyên dương (VND).")
        if not (reason or "").strip():
            raise InvalidInput("reason_required", "Cần nêu lý do hoàn phí.")
        key = idempotency.checked_key(idempotency_key)
        owner = str(actor.get("subject"))
        digest = idempotency.request_hash({"dossier_code": dossier_code, "amount_vnd": amount_vnd,
                                           "reason": reason}, "refund")
        table = storage.payments
        refund_id = str(uuid.uuid4())
        earlier = None
        try:
            with self.db.unit() as uow:
                earlier = idempotency.find(uow.session, owner, key, digest) if key else None
                if earlier is None:
                    payment = storage.find_payment(uow.session, dossier_code=dossier_code)
                    if payment is None or payment["status"] != "paid":
                        raise InvalidInput("not_paid", "Chỉ hoàn phí cho khoản đã thanh toán.")
                    reserved = uow.session.execute(update(table).where(
                        table.c.id == payment["id"], table.c.refunded_vnd + amount_vnd <= table.c.amount_vnd).values(
                        refunded_vnd=table.c.refunded_vnd + amount_vnd)).rowcount
                    if not reserved:
                        raise InvalidInput("refund_exceeds_refundable", "Số tiền hoàn vượt quá số còn có thể hoàn.",
                                           {"refundable_vnd": payment["amount_vnd"] - payment["refunded_vnd"]})
                    uow.session.execute(storage.refunds.insert().values(
                        id=refund_id, payment_id=payment["id"], amount_vnd=amount_vnd, reason=reason,
                        status="requested", requested_by=owner, requested_at=_now(), gateway_response_code="",
                        idempotency_key=key))
                    uow.audit(owner, "payment.refund_requested", dossier_code,
                              {"refund_id": refund_id, "amount_vnd": amount_vnd, "reason": reason})
                    if key:
                        idempotency.remember(uow.session, owner, key, digest,
                                             {"refund_id": refund_id, "amount_vnd": amount_vnd, "status": "requested"})
        except IntegrityError as exc:
            # The same key reserved by a concurrent request first: this one's reservation rolled back.
            earlier = idempotency.after_race(self.db, owner, key, digest, exc)
        if earlier is not None:
            if earlier["status"] == "requested":
                raise Conflict("refund_in_progress", "Yêu cầu hoàn phí với Idempotency-Key này đang được xử lý, "
                                                     "vui lòng thử lại sau.", {"refund_id": earlier["refund_id"]})
            if earlier["status"] == "unknown":
                raise Conflict("refund_outcome_unknown", UNKNOWN_TEXT, {"refund_id": earlier["refund_id"]})
            return earlier
        full = amount_vnd == payment["amount_vnd"]
        try:
            answer = self.gateway.refund(payment["paid_txn_ref"], amount_vnd, full,
                                         payment["gateway_transaction_no"], payment["paid_at"], owner)
            outcome = "done" if answer.get("vnp_ResponseCode") == "00" else "failed"
        except GatewayError as exc:
            self.log.warning("refund_outcome_unknown", refund_id=refund_id, dossier_code=dossier_code, error=str(exc))
            answer, outcome = {"vnp_ResponseCode": "unknown"}, "unknown"
        gateway_code = str(answer.get("vnp_ResponseCode"))[:10]
        with self.db.unit() as uow:
            # Conditional: a refund this process took too long to record (the database was away for longer than
            # RECONCILE_AFTER) has been made `unknown` by reconciliation and may be settled already; its outcome
            # is then the leader's to decide, never applied a second time from here.
            recorded = uow.session.execute(update(storage.refunds).where(
                storage.refunds.c.id == refund_id, storage.refunds.c.status == "requested").values(
                status=outcome, gateway_response_code=gateway_code)).rowcount
            if recorded:
                self._finish_refund(uow, payment, refund_id, amount_vnd, reason, outcome, owner, key)
        if not recorded:
            self.log.warning("refund_answer_too_late", refund_id=refund_id, gateway_code=gateway_code)
            raise Unavailable("refund_outcome_unknown", UNKNOWN_TEXT, {"refund_id": refund_id})
        REFUNDS.labels(outcome).inc()
        if outcome == "failed":
            raise Unavailable("refund_failed", "Cổng thanh toán chưa hoàn tiền, vui lòng thử lại.",
                              {"gateway_code": gateway_code})
        if outcome == "unknown":
            raise Unavailable("refund_outcome_unknown", UNKNOWN_TEXT, {"refund_id": refund_id})
        return {"refund_id": refund_id, "amount_vnd": amount_vnd, "status": "done"}

    def _finish_refund(self, uow, payment: dict, refund_id: str, amount_vnd: int, reason: str, outcome: str,
                       key_owner: str, key: str | None) -> None:
        """What a refund's outcome does, in the transaction that records it: done publishes PaymentRefunded;
        failed gives the reservation back (and the key, so a retry acts again); unknown keeps both."""
        table = storage.payments
        if outcome == "failed":
            uow.session.execute(update(table).where(table.c.id == payment["id"]).values(
                refunded_vnd=table.c.refunded_vnd - amount_vnd))
            if key:
                idempotency.forget(uow.session, key_owner, key)
        elif outcome == "done":
            total = uow.session.execute(select(table.c.refunded_vnd).where(
                table.c.id == payment["id"])).scalar_one()
            uow.publish(PaymentRefunded, {"payment_id": payment["id"], "dossier_code": payment["dossier_code"],
                                          "amount_vnd": amount_vnd, "refunded_total_vnd": total, "reason": reason},
                        subject=payment["dossier_code"])
        if key and outcome != "failed":
            idempotency.replace(uow.session, key_owner, key,
                                {"refund_id": refund_id, "amount_vnd": amount_vnd, "status": outcome})

    @rpc
    def settle_refund(self, dossier_code: str, refund_id: str, outcome: str, note: str, actor: dict) -> dict:
        """Close a refund whose outcome is unknown (leaders), from what the gateway's statement shows: `done`
        (the money went out: PaymentRefunded is published) or `failed` (it did not: the amount is refundable
        again). The note says on what evidence (statement line, gateway reference); the decision is audited.
        Only an unknown refund can be settled, once."""
        if actor.get("kind") != "officer" or "leader" not in (actor.get("roles") or []):
            raise Forbidden("role_not_allowed", "Chỉ lãnh đạo được xác nhận kết quả hoàn phí.")
        if outcome not in ("done", "failed"):
            raise InvalidInput("invalid_outcome", "Kết quả phải là \"done\" (đã hoàn) hoặc \"failed\" (chưa hoàn).",
                               {"allowed": ["done", "failed"]})
        if not (note or "").strip():
            raise InvalidInput("note_required", "Cần ghi căn cứ đối soát (ví dụ: số dòng sao kê của cổng thanh toán).")
        who = str(actor.get("subject"))
        refunds = storage.refunds
        with self.db.unit() as uow:
            payment = storage.find_payment(uow.session, dossier_code=dossier_code)
            refund = uow.session.execute(select(refunds).where(refunds.c.id == refund_id)).mappings().first()
            if payment is None or refund is None or refund["payment_id"] != payment["id"]:
                raise NotFound("refund_not_found", "Không tìm thấy yêu cầu hoàn phí này của hồ sơ.")
            settled = uow.session.execute(update(refunds).where(
                refunds.c.id == refund_id, refunds.c.status == "unknown").values(
                status=outcome, settled_by=who, settled_at=_now(), settlement_note=note.strip())).rowcount
            if not settled:
                raise Conflict("refund_not_unknown", "Chỉ xác nhận được yêu cầu hoàn phí chưa rõ kết quả.",
                               {"status": refund["status"]})
            self._finish_refund(uow, payment, refund_id, refund["amount_vnd"], refund["reason"], outcome,
                                refund["requested_by"], refund["idempotency_key"])
            uow.audit(who, "payment.refund_settled", dossier_code,
                      {"refund_id": refund_id, "outcome": outcome, "amount_vnd": refund["amount_vnd"],
                       "note": note.strip()})
        REFUNDS.labels(f"settled_{outcome}").inc()
        return {"refund_id": refund_id, "amount_vnd": refund["amount_vnd"], "status": outcome}

    # -- reconciliation -------------------------------------------------------------------------------------------
    @timer(interval=RECONCILE_EVERY)
    def reconcile(self):
        """Re-query attempts pending for too long (an IPN may never come) and expire unpaid requests. Safe in
        several replicas: settling and expiring are conditional updates."""
        self.reconcile_now()

    @rpc
    def reconcile_now(self) -> dict:
        now = _now()
        settled = 0
        with self.db.unit() as uow:
            stale = uow.session.execute(select(storage.attempts).where(
                storage.attempts.c.status == "pending",
                storage.attempts.c.created_at <= now - RECONCILE_AFTER)).mappings().all()
        for attempt in stale:
            try:
                answer = self.gateway.query(attempt["txn_ref"], attempt["created_at"])
            except GatewayError as exc:
                self.log.warning("reconciliation_query_failed", txn_ref=attempt["txn_ref"], error=str(exc))
                continue
            if answer.get("vnp_ResponseCode") != "00" or answer.get("vnp_TransactionStatus") in (None, "", "01"):
                continue  # the gateway has no final answer yet
            code = self._settle(attempt["txn_ref"], answer, "reconciliation")
            if code == vnpay.CONFIRMED:
                settled += 1
                outcome = vnpay.ipn_outcome(answer)
                RECONCILED.labels(outcome).inc()
                if outcome == "paid":
                    MISMATCHES.labels("ipn_missing").inc()
        expired = 0
        with self.db.unit() as uow:
            rows = uow.session.execute(select(storage.payments).where(
                storage.payments.c.status == "pending", storage.payments.c.expires_at <= now)).mappings().all()
            for payment in rows:
                pending_attempts = uow.session.execute(select(func.count()).select_from(storage.attempts).where(
                    storage.attempts.c.payment_id == payment["id"], storage.attempts.c.status == "pending")).scalar_one()
                if pending_attempts:
                    continue  # an attempt may still have been paid: reconcile it first
                if uow.session.execute(update(storage.payments).where(
                        storage.payments.c.id == payment["id"], storage.payments.c.status == "pending"
                ).values(status="expired")).rowcount:
                    uow.publish(PaymentExpired, {"payment_id": payment["id"], "dossier_code": payment["dossier_code"]},
                                subject=payment["dossier_code"])
                    PAYMENTS.labels("expired").inc()
                    expired += 1
        refunds = storage.refunds
        with self.db.unit() as uow:
            # A refund still "requested" this long after the gateway call's timeout: the process that asked
            # died before recording the answer, so its outcome is unknown like a lost answer's.
            orphaned = uow.session.execute(update(refunds).where(
                refunds.c.status == "requested", refunds.c.requested_at <= now - RECONCILE_AFTER).values(
                status="unknown", gateway_response_code="orphaned")).rowcount
            unknown = uow.session.execute(select(func.count()).select_from(refunds).where(
                refunds.c.status == "unknown")).scalar_one()
        REFUNDS_UNKNOWN.set(unknown)
        if orphaned:
            REFUNDS.labels("unknown").inc(orphaned)
            self.log.warning("refunds_orphaned", count=orphaned)
        return {"settled": settled, "expired": expired, "refunds_unknown": unknown}

    @rpc
    def reconciliation_report(self, day: str | None = None) -> dict:
        """Our ledger against the gateway for the attempts of one day (legal time): every difference listed."""
        target = date.fromisoformat(day) if day else _now().astimezone(LEGAL_TZ).date()
        start = datetime.combine(target, datetime.min.time(), tzinfo=LEGAL_TZ)
        with self.db.unit() as uow:
            attempts = uow.session.execute(select(storage.attempts).where(
                storage.attempts.c.created_at >= start, storage.attempts.c.created_at < start + timedelta(days=1)
            )).mappings().all()
        mismatches, checked = [], 0
        for attempt in attempts:
            try:
                answer = self.gateway.query(attempt["txn_ref"], attempt["created_at"])
            except GatewayError as exc:
                mismatches.append({"txn_ref": attempt["txn_ref"], "kind": "gateway_unreachable", "detail": str(exc)})
                continue
            checked += 1
            gateway_paid = answer.get("vnp_ResponseCode") == "00" and answer.get("vnp_TransactionStatus") == "00"
            ours_paid = attempt["status"] == "paid"
            if gateway_paid != ours_paid:
                kind = "paid_at_gateway_only" if gateway_paid else "paid_in_ledger_only"
                MISMATCHES.labels(kind).inc()
                mismatches.append({"txn_ref": attempt["txn_ref"], "kind": kind, "ledger": attempt["status"],
                                   "gateway_status": answer.get("vnp_TransactionStatus")})
            elif gateway_paid and int(answer.get("vnp_Amount", 0)) != attempt["amount_vnd"] * 100:
                MISMATCHES.labels("amount").inc()
                mismatches.append({"txn_ref": attempt["txn_ref"], "kind": "amount",
                                   "ledger_vnd": attempt["amount_vnd"],
                                   "gateway_vnd": int(answer.get("vnp_Amount", 0)) // 100})
        with self.db.unit() as uow:
            unknown = uow.session.execute(select(
                storage.refunds.c.id, storage.refunds.c.amount_vnd, storage.refunds.c.requested_at,
                storage.payments.c.dossier_code, storage.payments.c.paid_txn_ref).join(
                storage.payments, storage.payments.c.id == storage.refunds.c.payment_id).where(
                storage.refunds.c.status == "unknown").order_by(storage.refunds.c.requested_at)).mappings().all()
        return {"day": target.isoformat(), "attempts": len(attempts), "checked": checked, "mismatches": mismatches,
                "refunds_unknown": [{"refund_id": r["id"], "dossier_code": r["dossier_code"],
                                     "txn_ref": r["paid_txn_ref"], "amount_vnd": r["amount_vnd"],
                                     "requested_at": iso_utc(r["requested_at"])} for r in unknown]}

    @rpc
    def health(self) -> dict:
        """Database reachable."""
        self.db.engine.connect().close()
        return {"status": "ok"}
