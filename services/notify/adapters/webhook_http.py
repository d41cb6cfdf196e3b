"""A webhook delivery's POST: to the address the target check returned (adapters/pinned.py), or by name for a
host the province allowed (WEBHOOK_ALLOWED_HOSTS). No redirects."""

from __future__ import annotations

import requests

from services.notify.adapters import pinned

_http = requests.Session()


def post(
    url: str, addresses: list[str], body: bytes, headers: dict, timeout: float = 10
) -> tuple[int | None, str]:
    """(HTTP status or None for no answer, error text: empty for a 2xx/3xx answer)."""
    try:
        if addresses:  # connect to the address just checked, not to a second DNS answer
            code, text = pinned.post(url, addresses[0], body, headers, timeout=timeout)
            return code, "" if 200 <= code < 400 else text
        response = _http.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        return response.status_code, "" if response.ok else response.text[:300]
    except (requests.RequestException, pinned.DeliveryError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
