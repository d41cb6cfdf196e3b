"""Marshmallow schemas of the province administration's RPCs (admin_rpc.py): units, the province's settings,
process definitions to check. Apart from schemas.py so the administration grows without crowding it."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

_PRINTABLE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Ký tự điều khiển không được chấp nhận.")
_NAME = [validate.Length(min=1, max=200), _PRINTABLE]
_SOURCE = [validate.Length(min=1, max=500), _PRINTABLE]
# A process definition to check: a YAML text of at most 64 KiB (standard.yaml is under 8).
MAX_DEFINITION = 64 * 1024


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class NewAgency(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=30))
    name = fields.String(required=True, validate=_NAME)
    kind = fields.String(required=True, validate=validate.Length(min=1, max=40))


class CreateUnitRequest(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = fields.String(required=True, validate=_NAME)
    level = fields.String(required=True, validate=validate.Length(min=1, max=20))
    parent = fields.String(required=True, validate=validate.Length(min=1, max=20))
    valid_from = fields.Date(required=True)
    source = fields.String(required=True, validate=_SOURCE)
    agencies = fields.List(fields.Nested(NewAgency), load_default=list, validate=validate.Length(max=10))


class AgencyName(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=30))
    name = fields.String(required=True, validate=_NAME)


class RenameUnitRequest(_Strict):
    name = fields.String(required=True, validate=_NAME)
    valid_from = fields.Date(required=True)
    source = fields.String(required=True, validate=_SOURCE)
    agencies = fields.List(fields.Nested(AgencyName), load_default=list, validate=validate.Length(max=20))


class ChangeSettingRequest(_Strict):
    value = fields.String(required=True, validate=[validate.Length(max=200), _PRINTABLE])
    valid_from = fields.Date(required=True)
    reason = fields.String(required=True, validate=[validate.Length(min=3, max=500), _PRINTABLE])


class CheckProcessRequest(_Strict):
    definition = fields.String(required=True, validate=validate.Length(min=1, max=MAX_DEFINITION))
