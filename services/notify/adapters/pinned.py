"""An HTTP POST to a URL, connected to an address checked beforehand instead of the name's next DNS answer.

The webhook target check resolves the host and refuses internal addresses; if the delivery resolved the name
again, a DNS server answering a public address first and 127.0.0.1 the second time (rebinding) would reach the
platform's own network. Here the socket goes to the checked address, while the Host header, TLS SNI and the
certificate check keep the URL's host name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import urllib3


class DeliveryError(Exception):
    """No HTTP answer (refused, reset, timed out, TLS failure)."""


def post(url: str, address: str, body: bytes, headers: dict, timeout: float = 10.0) -> tuple[int, str]:
    """POST `body` to `url` through `address`; (status, first 300 characters of the answer). No redirects."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    common = {"maxsize": 1, "retries": False, "timeout": urllib3.Timeout(total=timeout)}
    if https:  # the socket to the address; SNI and the certificate check for the URL's name
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
            cert_reqs="CERT_REQUIRED",
            **common,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **common)
    default_port = 443 if https else 80
    headers = {**headers, "Host": parts.hostname if port == default_port else f"{parts.hostname}:{port}"}
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        response = pool.urlopen(
            "POST", path, body=body, headers=headers, redirect=False, preload_content=True
        )
        return response.status, response.data[:2000].decode("utf-8", "replace")[:300]
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    finally:
        pool.close()
