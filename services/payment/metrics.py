"""Payment's own Prometheus metrics (the chassis adds the entrypoint, event and outbox ones)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

IPN = Counter("motcua_payment_ipn_total", "IPN callbacks by answer code.", ["rsp_code"])
SIGNATURE_FAILURES = Counter(
    "motcua_payment_signature_failures_total", "Callbacks refused for a bad signature."
)
RECONCILED = Counter(
    "motcua_payment_reconciled_total", "Attempts settled by reconciliation (QueryDR).", ["outcome"]
)
MISMATCHES = Counter(
    "motcua_payment_reconciliation_mismatches_total",
    "Differences found between our ledger and the gateway.",
    ["kind"],
)
PAYMENTS = Counter("motcua_payment_payments_total", "Payments by final state.", ["status"])
REFUNDS = Counter(
    "motcua_payment_refunds_total",
    "Refund requests by outcome (done, failed, unknown) and settlements "
    "of unknown ones (settled_done, settled_failed).",
    ["outcome"],
)
REFUNDS_UNKNOWN = Gauge(
    "motcua_payment_refunds_unknown",
    "Refunds whose outcome is unknown, amount held, waiting "
    "for a leader to settle them against the gateway's statement.",
)
