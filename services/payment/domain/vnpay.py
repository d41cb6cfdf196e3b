"""VNPay 2.1.0-compatible gateway protocol: signed payment URLs, IPN verification, QueryDR and refund requests.

Signatures: HMAC-SHA512 with the merchant's hash secret over the parameters sorted by name and URL-encoded
(payment URL, return and IPN), or over `|`-joined fields in a fixed order (QueryDR, refund; verify the field
orders against the merchant documentation of the contract in force). Amounts travel as VND × 100.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus, urlencode

from services.chassis.clock import LEGAL_TZ

VERSION = "2.1.0"
GMT7 = LEGAL_TZ  # VNPay writes its times in Vietnam time
QUERY_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERY_RESPONSE_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
REFUND_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_RESPONSE_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
)

# IPN answers (the documented RspCode values).
CONFIRMED = ("00", "Confirm Success")
ORDER_NOT_FOUND = ("01", "Order not found")
ALREADY_CONFIRMED = ("02", "Order already confirmed")
INVALID_AMOUNT = ("04", "Invalid amount")
INVALID_SIGNATURE = ("97", "Invalid signature")
OTHER = ("99", "Unknow error")


def vnp_time(moment: datetime) -> str:
    return moment.astimezone(GMT7).strftime("%Y%m%d%H%M%S")


def canonical_query(params: Mapping[str, Any]) -> str:
    """Sorted, URL-encoded `k=v&...` of every vnp_ parameter except the hash itself."""
    items = sorted(
        (k, str(v))
        for k, v in params.items()
        if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType") and v not in (None, "")
    )
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in items)


def sign(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode("utf-8"), hashlib.sha512).hexdigest()


def signed_params(secret: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {**params, "vnp_SecureHash": sign(secret, canonical_query(params))}


def verify(secret: str, params: Mapping[str, Any]) -> bool:
    given = str(params.get("vnp_SecureHash", ""))
    return bool(given) and hmac.compare_digest(sign(secret, canonical_query(params)).lower(), given.lower())


def payment_url(
    base_url: str,
    secret: str,
    *,
    tmn_code: str,
    txn_ref: str,
    amount_vnd: int,
    order_info: str,
    return_url: str,
    ip_addr: str,
    created: datetime,
    expires: datetime,
    locale: str = "vn",
) -> str:
    if not isinstance(amount_vnd, int) or amount_vnd <= 0:
        raise ValueError("amount must be a positive integer VND")
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": tmn_code,
        "vnp_Amount": amount_vnd * 100,
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": order_info,
        "vnp_OrderType": "other",
        "vnp_Locale": locale,
        "vnp_ReturnUrl": return_url,
        "vnp_IpAddr": ip_addr,
        "vnp_CreateDate": vnp_time(created),
        "vnp_ExpireDate": vnp_time(expires),
    }
    return f"{base_url}?{urlencode(signed_params(secret, params))}"


def pipe_hash(secret: str, data: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    return sign(secret, "|".join(str(data.get(f, "")) for f in fields))


def verify_pipe(secret: str, data: Mapping[str, Any], fields: tuple[str, ...]) -> bool:
    given = str(data.get("vnp_SecureHash", ""))
    return bool(given) and hmac.compare_digest(pipe_hash(secret, data, fields), given.lower())


def ipn_outcome(params: Mapping[str, Any]) -> str:
    """paid | failed, from a verified IPN's response and transaction codes."""
    return (
        "paid"
        if params.get("vnp_ResponseCode") == "00" and params.get("vnp_TransactionStatus") == "00"
        else "failed"
    )
