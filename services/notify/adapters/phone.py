"""The SMS / Zalo ZNS provider's HTTP API (the local sandbox, devtools/message_sandbox.py, speaks it): one
POST per message, the API key in a header, delivery receipts later on our callback."""

from __future__ import annotations

from dataclasses import dataclass

import requests

_http = requests.Session()


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no answer (refused, reset, timed out)
    message_id: str = ""  # the provider's id, on acceptance
    text: str = ""  # the answer's body (first 200 characters) or what went wrong

    @property
    def error(self) -> str:
        """The error recorded on the notification when the answer is not an acceptance."""
        if self.status_code is None:
            return self.text
        if 400 <= self.status_code < 500 and self.status_code != 429:
            return f"HTTP {self.status_code}: {self.text}"
        return f"HTTP {self.status_code}"


def send(
    provider_url: str,
    provider_key: str,
    channel: str,
    to: str,
    reference: str,
    body: str,
    template: str,
    callback_url: str,
    timeout: float = 10,
) -> Answer:
    """Hand one message to the provider. `reference` is the same on every attempt of one notification, so a
    provider that deduplicates by it sends a resend once. SMS carries the text; Zalo the template and the text."""
    payload: dict = {"to": to, "reference": reference, "callback_url": callback_url}
    if channel == "sms":
        payload["text"] = body
    else:
        payload.update(template_id=template, params={"text": body})
    try:
        response = _http.post(
            f"{provider_url}/{channel}/send",
            json=payload,
            timeout=timeout,
            headers={"X-Api-Key": provider_key},
        )
    except requests.RequestException as exc:
        return Answer(None, text=f"{type(exc).__name__}: {exc}")
    if response.status_code < 300:
        return Answer(response.status_code, message_id=str(response.json().get("message_id", ""))[:64])
    return Answer(response.status_code, text=response.text[:200])
