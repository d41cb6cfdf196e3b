"""Request bodies of the province administration's API (routes/administration.py), validated at the gateway and
published in the OpenAPI document; workflow and payment validate them again. Apart from schemas.py so the
administration grows without crowding it."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

_NAME = validate.Length(min=1, max=200)
_SOURCE = {
    "description": "The legal document that decides it: number and date, e.g. "
    "`Nghị quyết 1674/NQ-UBTVQH15 (16/06/2025)`."
}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class NewAgency(_Strict):
    code = fields.String(
        required=True, validate=validate.Length(min=1, max=30), metadata={"example": "NB37.X.01"}
    )
    name = fields.String(required=True, validate=_NAME, metadata={"example": "Ủy ban nhân dân xã Mới"})
    kind = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "An agency kind routing knows (GET /api/v1/units `kinds`), e.g. `people_committee`."
        },
    )


class CreateUnitRequest(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = fields.String(required=True, validate=_NAME)
    level = fields.String(required=True, metadata={"description": "The level right below the parent's."})
    parent = fields.String(required=True, validate=validate.Length(min=1, max=20))
    valid_from = fields.Date(required=True, metadata={"description": "First day in force: today or later."})
    source = fields.String(required=True, validate=validate.Length(min=8, max=500), metadata=_SOURCE)
    agencies = fields.List(fields.Nested(NewAgency), validate=validate.Length(max=10))


class AgencyName(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=30))
    name = fields.String(required=True, validate=_NAME)


class RenameUnitRequest(_Strict):
    name = fields.String(required=True, validate=_NAME)
    valid_from = fields.Date(
        required=True,
        metadata={"description": "First day of the new name: today or later (no retroactive change)."},
    )
    source = fields.String(required=True, validate=validate.Length(min=8, max=500), metadata=_SOURCE)
    agencies = fields.List(
        fields.Nested(AgencyName),
        validate=validate.Length(max=20),
        metadata={
            "description": "The unit's agencies renamed from the same day (e.g. its People's Committee)."
        },
    )


class SettingValueRequest(_Strict):
    value = fields.String(
        required=True,
        validate=validate.Length(max=200),
        metadata={
            "description": "As the setting takes it: a number of working days, or `HH:MM` (empty: none)."
        },
    )
    valid_from = fields.Date(required=True, metadata={"description": "First day in force: today or later."})
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class Tier(_Strict):
    up_to = fields.Integer(required=True, allow_none=True, strict=True)
    amount = fields.Integer(required=True, strict=True)


class FeeLine(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=_NAME)
    type = fields.String(required=True, validate=validate.OneOf(["fixed", "per_item", "tiered"]))
    amount = fields.Integer(strict=True, metadata={"description": "fixed: VND"})
    unit_amount = fields.Integer(strict=True, metadata={"description": "per_item: VND per item"})
    quantity_field = fields.String(metadata={"description": "per_item: the form field counting the items"})
    measure_field = fields.String(metadata={"description": "tiered: the form field measured"})
    tiers = fields.List(fields.Nested(Tier), metadata={"description": "tiered: the last one `up_to: null`"})


class Reduction(_Strict):
    category = fields.String(required=True)
    percent = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))
    name = fields.String(required=True, validate=_NAME)


class FeeVersionRequest(_Strict):
    valid_from = fields.Date(required=True, metadata={"description": "First day in force: today or later."})
    lines = fields.List(
        fields.Nested(FeeLine),
        required=True,
        metadata={"description": "The schedule's lines; none: the procedure is free from that day."},
    )
    reductions = fields.List(fields.Nested(Reduction))
    basis = fields.String(
        required=True,
        validate=validate.Length(min=8, max=500),
        metadata={"description": "The legal document setting the fee, e.g. `Thông tư 244/2016/TT-BTC`."},
    )


class ProcessCheckRequest(_Strict):
    definition = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64 * 1024),
        metadata={"description": "A process definition as YAML text (the format of data/processes/*.yaml)."},
    )
