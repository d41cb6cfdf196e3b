"""The OpenAPI 3.1 document of `/api/v1`, generated from the routes the gateway declares and their
marshmallow schemas."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from services.gateway import schemas

ROUTES: list[dict] = []  # filled by the @endpoint decorator
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retried create act once: the same key with the same request gets the first answer "
    "again, with `replayed: true` and 200 instead of 201; the same key with another request: 409 "
    "`idempotency_key_reused`. Keys belong to the caller. After a 503 (`service_timeout`, "
    "`broker_unavailable`) or a connection closed without an answer, the first attempt MAY have "
    "been carried out (the dossier filed): retry with the SAME key, never a new one, to get its "
    "answer instead of a second dossier.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
}


def _path(route: str) -> tuple[str, list[str]]:
    names = re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", route)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", route), names


def _query(param) -> dict:
    """A query parameter: a name (any string), or {name, description, schema}."""
    if isinstance(param, str):
        return {"name": param, "in": "query", "required": False, "schema": {"type": "string"}}
    return {"in": "query", "required": False, "schema": {"type": "string"}, **param}


def build(version: str = "0.1.0") -> dict:
    spec = _new_spec(version)
    for route in ROUTES:
        if not route["path"].startswith("/api/v1") or "<path:" in route["path"]:
            continue
        path, params = _path(route["path"])
        operation = _operation(route, params)
        for method in route["method"].split(","):
            spec.path(path=path, operations={method.lower(): dict(operation, operationId=f"{route['name']}")})
    return spec.to_dict()


def _new_spec(version: str) -> APISpec:
    """The document's head: title, description, the bearer scheme and the Problem schema."""
    spec = APISpec(
        title="MotCua API",
        version=version,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Một cửa điện tử: dossiers, officer actions, catalogue. Errors are "
            "application/problem+json (RFC 9457) with a stable `code`."
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=schemas.Problem)
    return spec


def _operation(route: dict, params: list[str]) -> dict:
    """One declared route as an OpenAPI operation (the same for each of its methods)."""
    operation: dict = {
        "summary": route["summary"],
        "operationId": route["name"],
        "tags": [route["tag"]],
        "responses": _responses(route),
        "parameters": [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params
        ]
        + [_query(q) for q in route["query"]],
    }
    if route["description"] != route["summary"]:
        operation["description"] = route["description"]
    if route["idempotent"]:
        overrides = route["idempotent"] if isinstance(route["idempotent"], dict) else {}
        operation["parameters"].append({**IDEMPOTENCY_KEY, **overrides})
        if route["status"] == 201:
            operation["responses"]["200"] = {
                "description": "Replayed: the answer to an earlier request with the same Idempotency-Key",
                "content": {route["produces"]: {"schema": route["response"] or {"type": "object"}}},
            }
    if route["body"] is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": route["body"]}},
        }
    if route.get("consumes"):
        operation["requestBody"] = {
            "required": True,
            "content": {media: {"schema": schema} for media, schema in route["consumes"].items()},
        }
    if not route["public"]:
        operation["security"] = [{"bearer": []}]
    return operation


def _responses(route: dict) -> dict:
    """The route's success answer, refusals (problem+json) and the 503 that may hide a carried-out request."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {
        str(route["status"]): {
            "description": "OK",
            "content": {route["produces"]: {"schema": route["response"] or {"type": "object"}}},
        },
        "4XX": {"description": "Refused", "content": problem},
        "503": {
            "description": "Try again later (`service_timeout`, `broker_unavailable`, "
            "`service_unavailable`). The request may have been carried out all the same: "
            "`retry.may_have_been_processed` is true; a create is retried with the SAME "
            "Idempotency-Key (`retry.same_idempotency_key`).",
            "content": problem,
        },
    }
