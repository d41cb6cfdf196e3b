"""A local payment gateway that speaks the VNPay 2.1.0 protocol, for `make run` and the tests.

The citizen's browser lands on a page with three buttons (pay, fail, cancel); the decision is sent to the
merchant as a signed server-to-server IPN and the browser goes back to the return URL. QueryDR and refund
answer on the merchant API. For tests the IPN can be delayed or dropped on purpose, and a refund's answer lost
(`lose_answer`: the refund is made, the connection closes unanswered; `unreachable`: nothing is done):
`POST /sandbox/mode {"ipn": "normal" | "delay" | "drop", "delay_seconds": 5,
                     "refund": "normal" | "lose_answer" | "unreachable"}`.

    python -m devtools.vnpay_sandbox --port 8090 --ipn-url http://127.0.0.1:8000/api/v1/payments/vnpay/ipn
"""

from __future__ import annotations

import argparse
import html
import json
import random
import signal
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlparse

from services.payment.domain import vnpay

DEFAULT_SECRET = "local-sandbox-secret-not-for-production"
OUTCOMES = {"pay": ("00", "00"), "fail": ("51", "02"), "cancel": ("24", "02")}


class Sandbox:
    def __init__(self, port: int, ipn_url: str, secret: str = DEFAULT_SECRET, tmn_code: str = "MOTCUA01"):
        self.port = port
        self.ipn_url = ipn_url
        self.secret = secret
        self.tmn_code = tmn_code
        self.transactions: dict[str, dict] = {}
        self.mode = {"ipn": "normal", "delay_seconds": 3, "refund": "normal"}
        self.ipn_log: list[dict] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- protocol ---------------------------------------------------------------------------------------------
    def open_payment(self, params: dict) -> tuple[int, str]:
        if not vnpay.verify(self.secret, params):
            return 400, "Sai chữ ký (invalid signature)"
        if params.get("vnp_TmnCode") != self.tmn_code:
            return 400, "Sai mã website (unknown merchant)"
        expire = params.get("vnp_ExpireDate", "")
        if expire and expire < vnpay.vnp_time(datetime.now(timezone.utc)):
            return 400, "Giao dịch đã quá thời gian chờ thanh toán (expired)"
        with self._lock:
            self.transactions.setdefault(
                params["vnp_TxnRef"],
                {
                    "txn_ref": params["vnp_TxnRef"],
                    "amount": int(params["vnp_Amount"]),
                    "order_info": params.get("vnp_OrderInfo", ""),
                    "return_url": params.get("vnp_ReturnUrl", ""),
                    "status": "01",
                    "response_code": "",
                    "transaction_no": "",
                    "pay_date": "",
                    "refunded": 0,
                },
            )
        return 200, params["vnp_TxnRef"]

    def decide(self, txn_ref: str, decision: str) -> str | None:
        """Apply the citizen's choice; send the IPN (per mode); return where the browser goes."""
        with self._lock:
            txn = self.transactions.get(txn_ref)
            if txn is None or decision not in OUTCOMES:
                return None
            if txn["status"] == "01":
                txn["response_code"], txn["status"] = OUTCOMES[decision]
                txn["transaction_no"] = str(random.randint(10_000_000, 99_999_999))
                txn["pay_date"] = vnpay.vnp_time(datetime.now(timezone.utc))
        params = vnpay.signed_params(
            self.secret,
            {
                "vnp_Amount": txn["amount"],
                "vnp_BankCode": "NCB",
                "vnp_CardType": "ATM",
                "vnp_OrderInfo": txn["order_info"],
                "vnp_PayDate": txn["pay_date"],
                "vnp_ResponseCode": txn["response_code"],
                "vnp_TmnCode": self.tmn_code,
                "vnp_TransactionNo": txn["transaction_no"],
                "vnp_TransactionStatus": txn["status"],
                "vnp_TxnRef": txn_ref,
            },
        )
        mode = dict(self.mode)
        if mode["ipn"] == "normal":
            threading.Thread(target=self.send_ipn, args=(params,), daemon=True).start()
        elif mode["ipn"] == "delay":
            threading.Timer(float(mode["delay_seconds"]), self.send_ipn, args=(params,)).start()
        else:
            self.ipn_log.append({"txn_ref": txn_ref, "dropped": True})
        return f"{txn['return_url']}?{urlencode(params)}"

    def send_ipn(self, params: dict) -> None:
        url = f"{self.ipn_url}?{urlencode(params)}"
        for attempt in range(5):  # the real gateway retries unanswered IPNs too
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    answer = json.loads(response.read())
                self.ipn_log.append({"txn_ref": params["vnp_TxnRef"], "answer": answer})
                if answer.get("RspCode") in ("00", "02"):
                    return
            except Exception as exc:  # noqa: BLE001
                self.ipn_log.append({"txn_ref": params["vnp_TxnRef"], "error": str(exc)})
            time.sleep(1 + attempt)

    def api(self, body: dict) -> dict:
        """The merchant API (QueryDR, refund): checksum checked on the request, computed on the answer."""
        command = body.get("vnp_Command")
        fields = vnpay.QUERY_FIELDS if command == "querydr" else vnpay.REFUND_FIELDS
        base = {
            "vnp_ResponseId": body.get("vnp_RequestId", ""),
            "vnp_Command": command,
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": body.get("vnp_TxnRef", ""),
        }
        if not vnpay.verify_pipe(self.secret, body, fields):
            answer = {**base, "vnp_ResponseCode": "97", "vnp_Message": "Invalid checksum"}
        else:
            with self._lock:
                txn = self.transactions.get(body.get("vnp_TxnRef", ""))
                if txn is None:
                    answer = {**base, "vnp_ResponseCode": "91", "vnp_Message": "Transaction not found"}
                elif command == "querydr":
                    answer = _query_answer(base, txn)
                else:
                    answer = _refund(base, txn, body)
        response_fields = (
            vnpay.QUERY_RESPONSE_FIELDS if command == "querydr" else vnpay.REFUND_RESPONSE_FIELDS
        )
        answer["vnp_SecureHash"] = vnpay.pipe_hash(self.secret, answer, response_fields)
        return answer

    # -- HTTP -------------------------------------------------------------------------------------------------
    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _query_answer(base: dict, txn: dict) -> dict:
    """QueryDR's answer: where the transaction stands."""
    return {
        **base,
        "vnp_ResponseCode": "00",
        "vnp_Message": "Query success",
        "vnp_Amount": txn["amount"],
        "vnp_BankCode": "NCB",
        "vnp_PayDate": txn["pay_date"],
        "vnp_TransactionNo": txn["transaction_no"],
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": txn["status"],
        "vnp_OrderInfo": txn["order_info"],
        "vnp_PromotionCode": "",
        "vnp_PromotionAmount": "",
    }


def _refund(base: dict, txn: dict, body: dict) -> dict:
    """Refund `vnp_Amount` of a paid transaction (refused beyond what was paid); the caller holds the lock."""
    amount = int(body.get("vnp_Amount", 0))
    if txn["status"] != "00" or txn["refunded"] + amount > txn["amount"]:
        return {**base, "vnp_ResponseCode": "94", "vnp_Message": "Refund not allowed"}
    txn["refunded"] += amount
    return {
        **base,
        "vnp_ResponseCode": "00",
        "vnp_Message": "Refund success",
        "vnp_Amount": amount,
        "vnp_BankCode": "NCB",
        "vnp_PayDate": txn["pay_date"],
        "vnp_TransactionNo": txn["transaction_no"],
        "vnp_TransactionType": body.get("vnp_TransactionType"),
        "vnp_TransactionStatus": "05",
        "vnp_OrderInfo": body.get("vnp_OrderInfo", ""),
    }


class _Handler(BaseHTTPRequestHandler):
    """The sandbox's HTTP side: the payment page, the merchant API and the test controls."""

    sandbox: Sandbox  # set on the subclass `Sandbox.start` makes

    def _send(
        self,
        status: int,
        body: str | bytes,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False), "application/json")

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/paymentv2/vpcpay.html":
            self._payment_page(dict(parse_qsl(url.query)))
        elif url.path == "/sandbox/transactions":
            self._json(
                200,
                {
                    "transactions": list(self.sandbox.transactions.values()),
                    "ipn_log": self.sandbox.ipn_log,
                    "mode": self.sandbox.mode,
                },
            )
        else:
            self._send(404, "not found")

    def _payment_page(self, params: dict) -> None:
        """Where the citizen's browser lands: the order and three buttons (pay, fail, cancel)."""
        status, result = self.sandbox.open_payment(params)
        if status != 200:
            self._send(status, f"<h1>{html.escape(result)}</h1>")
            return
        txn = self.sandbox.transactions[result]
        buttons = "".join(
            f'<button name="decision" value="{d}" id="{d}">{label}</button> '
            for d, label in (("pay", "Thanh toán"), ("fail", "Giao dịch lỗi"), ("cancel", "Huỷ"))
        )
        self._send(
            200,
            f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Cổng thanh toán thử nghiệm</title></head><body>
<h1>Cổng thanh toán thử nghiệm (sandbox, không phải cổng thật)</h1>
<p>Đơn hàng: {html.escape(txn["order_info"])}</p><p>Số tiền: {txn["amount"] // 100:,} VND</p>
<form method="post" action="/sandbox/decide"><input type="hidden" name="txn_ref" value="{html.escape(result)}">
{buttons}</form></body></html>""",
        )

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        if url.path == "/sandbox/decide":
            self._decide()
        elif url.path == "/merchant_webapi/api/transaction":
            self._merchant_api()
        elif url.path == "/sandbox/mode":
            self.sandbox.mode.update(json.loads(self._body() or b"{}"))
            self._json(200, self.sandbox.mode)
        else:
            self._send(404, "not found")

    def _decide(self) -> None:
        """The citizen's button: the browser goes back to the merchant's return URL."""
        form = dict(parse_qsl(self._body().decode()))
        target = self.sandbox.decide(form.get("txn_ref", ""), form.get("decision", ""))
        if target is None:
            self._send(400, "unknown transaction")
        else:
            self._send(302, "", headers={"Location": target})

    def _merchant_api(self) -> None:
        """QueryDR and refund; a refund's answer can be lost on purpose (`mode.refund`)."""
        try:
            body = json.loads(self._body() or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"vnp_ResponseCode": "99"})
            return
        refund_mode = self.sandbox.mode.get("refund") if body.get("vnp_Command") == "refund" else "normal"
        if refund_mode == "unreachable":
            return  # nothing done, and the connection closes unanswered
        answer = self.sandbox.api(body)
        if refund_mode == "lose_answer":
            return  # refunded, but the merchant never hears it: the connection closes
        self._json(200, answer)

    def log_message(self, *args: object) -> None:
        pass


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.vnpay_sandbox")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--ipn-url", default="http://127.0.0.1:8000/api/v1/payments/vnpay/ipn")
    args = parser.parse_args(argv)
    sandbox = Sandbox(args.port, args.ipn_url)
    sandbox.start()
    print(f"VNPay sandbox on http://127.0.0.1:{args.port} (IPN → {args.ipn_url})")
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
