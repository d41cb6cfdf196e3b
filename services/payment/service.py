"""Payment service: fees assessed at receipt, paid through a signed gateway, confirmed only by the signed IPN
(or by reconciliation), refunded within what is refundable, receipted.

Entrypoints only: each one calls one use case (services/payment/use_cases/) and answers. The rules are in
domain/, the SQL in adapters/storage.py, the VNPay client in adapters/gateway.py; see README.md."""

from __future__ import annotations

from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from services.chassis import audit
from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.chassis.rpc import call
from services.payment import schemas
from services.payment.adapters import settings, storage
from services.payment.dependencies import GatewayProvider, Schedules
from services.payment.use_cases import assessment, callbacks, fee_schedules, paying, reconciliation, refunds

TIMING = settings.timing()
# Who payment is when it reads a dossier from intake (an agency-kind caller without a unit).
AS_PAYMENT = {"subject": "payment", "kind": "agency", "unit": None, "roles": []}


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
        """At receipt, assess the fee; if something is due, open a payment request (PaymentRequested)."""
        assessment.open_payment_request(
            self.db,
            self.schedules,
            lambda code: call(self.intake.get_dossier, code, AS_PAYMENT),
            event.data,
            TIMING.expiry,
        )

    # -- paying -------------------------------------------------------------------------------------------------
    @rpc
    def get_payment(self, dossier_code: str) -> dict:
        """The fee of a dossier: lines, total, status, receipt number."""
        return paying.get_payment(self.db, dossier_code)

    @rpc
    def start_payment(
        self, dossier_code: str, client_ip: str, payer: str = "", idempotency_key: str | None = None
    ) -> dict:
        """A new attempt (its own vnp_TxnRef) and the signed URL to send the citizen to.

        With `idempotency_key` (a key of `payer`, the citizen paying), a retry answers with the same attempt and
        URL (`replayed: True`) instead of opening another one; the key on another dossier: Conflict."""
        return paying.start_payment(self.db, self.gateway, dossier_code, client_ip, payer, idempotency_key)

    @rpc
    def handle_ipn(self, params: dict) -> dict:
        """The gateway's server-to-server callback: the only thing (with reconciliation) that changes a payment.
        Answers with VNPay's RspCode: 97 bad signature, 01 unknown order, 04 wrong amount, 02 already
        confirmed, 00 confirmed, 99 anything else (expired payment included). Replays change nothing."""
        return callbacks.handle_ipn(self.db, self.gateway, params)

    @rpc
    def get_receipt(self, dossier_code: str) -> dict:
        """The e-receipt (biên lai điện tử) of a dossier's paid fee."""
        return paying.get_receipt(self.db, dossier_code)

    # -- refunds --------------------------------------------------------------------------------------------------
    @rpc
    def refund(
        self, dossier_code: str, amount_vnd: int, reason: str, actor: dict, idempotency_key: str | None = None
    ) -> dict:
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
        return refunds.request_refund(
            self.db, self.gateway, self.log, dossier_code, amount_vnd, reason, actor, idempotency_key
        )

    @rpc
    def settle_refund(self, dossier_code: str, refund_id: str, outcome: str, note: str, actor: dict) -> dict:
        """Close a refund whose outcome is unknown (leaders), from what the gateway's statement shows: `done`
        (the money went out: PaymentRefunded is published) or `failed` (it did not: the amount is refundable
        again). The note says on what evidence (statement line, gateway reference); the decision is audited.
        Only an unknown refund can be settled, once."""
        return refunds.settle_refund(self.db, dossier_code, refund_id, outcome, note, actor)

    # -- fee schedules ------------------------------------------------------------------------------------------
    @rpc
    def fee_schedules(self) -> list[dict]:
        """Every procedure's fee schedule versions (lines, reductions, legal basis, from which day), the one in force
        today marked."""
        return fee_schedules.listing(self.db, self.schedules)

    @rpc
    def change_fee(self, procedure_code: str, request: dict, actor: dict) -> dict:
        """A province administrator changes a procedure's fee from a day (today or later): a new version of its
        schedule ({valid_from, lines, reductions, basis}); dossiers assessed before keep their amount. Audited.
        Raises Forbidden, InvalidInput."""
        body = schemas.load(schemas.ChangeFeeRequest, request)
        return fee_schedules.change(self.db, self.schedules, procedure_code, body, actor)

    # -- reconciliation -------------------------------------------------------------------------------------------
    @timer(interval=TIMING.reconcile_every)
    def reconcile(self):
        """Re-query attempts pending for too long (an IPN may never come) and expire unpaid requests. Safe in
        several replicas: settling and expiring are conditional updates."""
        self.reconcile_now()

    @rpc
    def reconcile_now(self) -> dict:
        """One reconciliation pass now: {settled, expired, refunds_unknown}."""
        return reconciliation.reconcile(self.db, self.gateway, self.log, TIMING.reconcile_after)

    @rpc
    def reconciliation_report(self, day: str | None = None) -> dict:
        """Our ledger against the gateway for the attempts of one day (legal time): every difference listed."""
        return reconciliation.report(self.db, self.gateway, day)

    @rpc
    def health(self) -> dict:
        """Database reachable."""
        self.db.engine.connect().close()
        return {"status": "ok"}
