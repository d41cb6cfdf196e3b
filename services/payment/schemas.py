"""Marshmallow schemas at the payment service's boundary (RPC arguments from the gateway): a fee schedule version
an administrator sets. The amounts' rules (integer VND, tiers, reductions) are domain/fees.py's."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from services.chassis.validation import load  # noqa: F401 - the service loads through this module

_TEXT = [validate.Length(min=1, max=200), validate.Regexp(r"^[^\x00-\x1f\x7f]*$")]
_VND = validate.Range(min=0, max=10_000_000_000)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class Tier(_Strict):
    up_to = fields.Integer(required=True, allow_none=True, strict=True, validate=validate.Range(min=0))
    amount = fields.Integer(required=True, strict=True, validate=_VND)


class FeeLine(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=_TEXT)
    type = fields.String(required=True, validate=validate.OneOf(["fixed", "per_item", "tiered"]))
    amount = fields.Integer(strict=True, validate=_VND)
    unit_amount = fields.Integer(strict=True, validate=_VND)
    quantity_field = fields.String(validate=validate.Length(min=1, max=60))
    measure_field = fields.String(validate=validate.Length(min=1, max=60))
    tiers = fields.List(fields.Nested(Tier), validate=validate.Length(min=1, max=20))


class Reduction(_Strict):
    category = fields.String(required=True, validate=validate.Length(min=1, max=60))
    percent = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    name = fields.String(required=True, validate=_TEXT)


class ChangeFeeRequest(_Strict):
    valid_from = fields.Date(required=True)
    lines = fields.List(fields.Nested(FeeLine), required=True, validate=validate.Length(max=20))
    reductions = fields.List(fields.Nested(Reduction), load_default=list, validate=validate.Length(max=20))
    basis = fields.String(required=True, validate=[validate.Length(min=8, max=500)])
