"""Payment service: fees, gateway callbacks and receipts (the payment issue fills it in; this is its frame)."""
from __future__ import annotations

from nameko.rpc import rpc

from services.chassis.database import Database
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.payment import storage


class PaymentService:
    name = "payment"

    db = Database(storage.metadata)
    log = LogContext()
    metrics = EntrypointMetrics()

    @rpc
    def health(self) -> dict:
        """Database reachable."""
        self.db.engine.connect().close()
        return {"status": "ok"}
