"""Validation of what enters a service (RPC arguments, HTTP bodies) with marshmallow: one helper, one error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from marshmallow import Schema, ValidationError

from services.chassis.errors import InvalidInput

_SCHEMAS: dict[type[Schema], Schema] = {}


def schema_instance(schema: type[Schema] | Schema) -> Schema:
    """One reused instance per schema class (building a schema deep-copies its fields, more work than a load)."""
    if isinstance(schema, type):
        return _SCHEMAS.get(schema) or _SCHEMAS.setdefault(schema, schema())
    return schema


def load(schema: type[Schema] | Schema, data: object) -> dict[str, Any]:
    """The loaded data, or InvalidInput `invalid_request` naming every bad field (`details.fields`)."""
    # Whatever arrived goes to marshmallow as it is: a body that is not an object is its ValidationError
    # ("Invalid input type"), reported like any other bad field.
    raw = cast(Mapping[str, Any], data if data is not None else {})
    try:
        loaded: dict[str, Any] = schema_instance(schema).load(raw)
    except ValidationError as exc:
        raise InvalidInput(
            "invalid_request", "Dữ liệu gửi lên không hợp lệ.", {"fields": exc.messages}
        ) from None
    return loaded
