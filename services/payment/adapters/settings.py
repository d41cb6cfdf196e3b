"""Everything payment reads from its environment, in one place (the chassis Settings hold what all services
share: database, broker, public URL, local or production)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from services.payment.adapters.fees import DEFAULT_FILE

LOCAL_SECRET = "local-sandbox-secret-not-for-production"


@dataclass(frozen=True)
class Timing:
    """Read once at import: the reconciliation timer's interval is fixed when the service class is defined."""

    expiry: timedelta  # PAYMENT_EXPIRY_MINUTES: how long a payment request may be paid
    reconcile_after: (
        timedelta  # PAYMENT_RECONCILE_AFTER_SECONDS: an attempt (or refund) this old is re-queried
    )
    reconcile_every: float  # PAYMENT_RECONCILE_INTERVAL_SECONDS: the reconciliation timer


def timing(environ: Mapping[str, str] = os.environ) -> Timing:
    return Timing(
        expiry=timedelta(minutes=float(environ.get("PAYMENT_EXPIRY_MINUTES", "30"))),
        reconcile_after=timedelta(seconds=float(environ.get("PAYMENT_RECONCILE_AFTER_SECONDS", "600"))),
        reconcile_every=float(environ.get("PAYMENT_RECONCILE_INTERVAL_SECONDS", "60")),
    )


def fees_file(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get("MOTCUA_FEES_FILE", str(DEFAULT_FILE)))


@dataclass(frozen=True)
class Vnpay:
    """The merchant's VNPay contract (read when the service starts). The hash secret never appears in logs."""

    pay_url: str
    api_url: str
    tmn_code: str
    return_url: str
    secret: str = field(repr=False)


def vnpay(is_local: bool, public_url: str, environ: Mapping[str, str] = os.environ) -> Vnpay:
    """VNPAY_HASH_SECRET is required outside local mode; locally the sandbox's secret. VNPAY_SANDBOX_URL is the
    base of the default pay and API URLs (VNPAY_PAY_URL, VNPAY_API_URL), PAYMENT_RETURN_URL where the citizen
    comes back to."""
    secret = environ.get("VNPAY_HASH_SECRET", "")
    if not secret:
        if not is_local:
            raise RuntimeError("VNPAY_HASH_SECRET must be set outside local mode")
        secret = LOCAL_SECRET
    sandbox = environ.get("VNPAY_SANDBOX_URL", "http://127.0.0.1:8090")
    return Vnpay(
        pay_url=environ.get("VNPAY_PAY_URL", f"{sandbox}/paymentv2/vpcpay.html"),
        api_url=environ.get("VNPAY_API_URL", f"{sandbox}/merchant_webapi/api/transaction"),
        tmn_code=environ.get("VNPAY_TMN_CODE", "MOTCUA01"),
        secret=secret,
        return_url=environ.get("PAYMENT_RETURN_URL", f"{public_url}/thanh-toan/ket-qua"),
    )
