"""Every `/api/v1` route the gateway serves is in its OpenAPI document, with every method, and nothing else is:
read from the nameko HTTP entrypoints themselves, so a route added with a bare `@http` would be caught."""

from __future__ import annotations

import inspect
import re

from nameko.web.handlers import HttpRequestHandler

from services.gateway import openapi
from services.gateway.service import GatewayService


def _served() -> set[tuple[str, str]]:
    found = set()
    for _, member in inspect.getmembers(GatewayService, callable):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, HttpRequestHandler) and entrypoint.url.startswith("/api/v1"):
                path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", entrypoint.url)
                found |= {(m.lower(), path) for m in entrypoint.method.split(",")}
    return found


def test_every_api_route_served_is_documented_and_nothing_more():
    served = _served()
    documented = {
        (method, path)
        for path, item in openapi.build()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert len(served) >= 40
    assert served == documented, {"undocumented": served - documented, "not served": documented - served}
