"""The payment gateway's HTTP client. One interface; VNPay 2.1.0 is the reference; the local sandbox speaks the
same protocol. The signing rules are in domain/vnpay.py; the hash secret never appears in logs."""

from __future__ import annotations

import uuid
from datetime import datetime

import requests

from services.chassis.clock import utcnow
from services.payment.adapters.settings import Vnpay
from services.payment.domain import vnpay


class GatewayError(Exception):
    """No usable answer: unreachable, timed out, or an answer without a valid signature."""


class VnpayGateway:
    name = "vnpay"

    def __init__(self, pay_url: str, api_url: str, tmn_code: str, secret: str, return_url: str):
        self.pay_url = pay_url
        self.api_url = api_url
        self.tmn_code = tmn_code
        self._secret = secret
        self.return_url = return_url

    @classmethod
    def from_settings(cls, config: Vnpay) -> VnpayGateway:
        return cls(
            pay_url=config.pay_url,
            api_url=config.api_url,
            tmn_code=config.tmn_code,
            secret=config.secret,
            return_url=config.return_url,
        )

    def __repr__(self) -> str:
        return f"VnpayGateway(tmn_code={self.tmn_code!r}, pay_url={self.pay_url!r})"

    def payment_url(
        self,
        txn_ref: str,
        amount_vnd: int,
        order_info: str,
        ip_addr: str,
        created: datetime,
        expires: datetime,
    ) -> str:
        return vnpay.payment_url(
            self.pay_url,
            self._secret,
            tmn_code=self.tmn_code,
            txn_ref=txn_ref,
            amount_vnd=amount_vnd,
            order_info=order_info,
            return_url=self.return_url,
            ip_addr=ip_addr,
            created=created,
            expires=expires,
        )

    def verify(self, params: dict) -> bool:
        return vnpay.verify(self._secret, params)

    def _post(self, data: dict, fields, response_fields) -> dict:
        data["vnp_SecureHash"] = vnpay.pipe_hash(self._secret, data, fields)
        try:
            response = requests.post(self.api_url, json=data, timeout=10)
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise GatewayError(f"gateway unreachable: {type(exc).__name__}") from exc
        if not vnpay.verify_pipe(self._secret, answer, response_fields):
            raise GatewayError("gateway answer has an invalid signature")
        return answer

    def query(self, txn_ref: str, created: datetime) -> dict:
        """QueryDR: the gateway's view of one attempt."""
        return self._post(
            {
                "vnp_RequestId": uuid.uuid4().hex,
                "vnp_Version": vnpay.VERSION,
                "vnp_Command": "querydr",
                "vnp_TmnCode": self.tmn_code,
                "vnp_TxnRef": txn_ref,
                "vnp_TransactionDate": vnpay.vnp_time(created),
                "vnp_CreateDate": vnpay.vnp_time(utcnow()),
                "vnp_IpAddr": "127.0.0.1",
                "vnp_OrderInfo": f"Truy van {txn_ref}",
            },
            vnpay.QUERY_FIELDS,
            vnpay.QUERY_RESPONSE_FIELDS,
        )

    def refund(
        self, txn_ref: str, amount_vnd: int, full: bool, transaction_no: str, paid_at: datetime, by: str
    ) -> dict:
        """A refund request: full (02) or partial (03), the amount in VND × 100."""
        return self._post(
            {
                "vnp_RequestId": uuid.uuid4().hex,
                "vnp_Version": vnpay.VERSION,
                "vnp_Command": "refund",
                "vnp_TmnCode": self.tmn_code,
                "vnp_TransactionType": "02" if full else "03",
                "vnp_TxnRef": txn_ref,
                "vnp_Amount": amount_vnd * 100,
                "vnp_TransactionNo": transaction_no or "",
                "vnp_TransactionDate": vnpay.vnp_time(paid_at),
                "vnp_CreateBy": by[:50],
                "vnp_CreateDate": vnpay.vnp_time(utcnow()),
                "vnp_IpAddr": "127.0.0.1",
                "vnp_OrderInfo": f"Hoan tien {txn_ref}",
            },
            vnpay.REFUND_FIELDS,
            vnpay.REFUND_RESPONSE_FIELDS,
        )
