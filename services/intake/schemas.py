"""Marshmallow schemas at intake's boundary (RPC arguments from the gateway)."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

ID_NUMBER = validate.Regexp(r"^\d{12}$", error="Số định danh cá nhân phải gồm đúng 12 chữ số.")


class ApplicantSchema(Schema):
    class Meta:
        unknown = RAISE

    id_number = fields.String(required=True, validate=ID_NUMBER)


class ContactSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(load_default=None)
    phone = fields.String(load_default=None, validate=validate.Regexp(r"^(\+84|0)\d{9,10}$"))
    language = fields.String(load_default=None, validate=validate.OneOf(["vi", "en"]))


class SubmitDossierRequest(Schema):
    class Meta:
        unknown = RAISE

    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=30))
    applicant = fields.Nested(ApplicantSchema, required=True)
    contact = fields.Nested(ContactSchema, load_default=dict)
    channel = fields.String(load_default="online", validate=validate.OneOf(["online", "counter"]))
    form = fields.Dict(keys=fields.String(), load_default=dict)


class Viewer(Schema):
    """Who asks, as the gateway verified it."""

    class Meta:
        unknown = RAISE

    subject = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["citizen", "officer", "agency"]))
    unit = fields.String(load_default=None, allow_none=True)
    roles = fields.List(fields.String(), load_default=list)
