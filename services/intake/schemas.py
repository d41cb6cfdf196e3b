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


class DocumentChoice(Schema):
    """For one required document: reuse a registry document (the citizen confirms it) or an upload."""

    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    reuse = fields.String(load_default=None, validate=validate.Length(equal=36))
    upload = fields.String(load_default=None, validate=validate.Length(equal=36))


class SubmitDossierRequest(Schema):
    class Meta:
        unknown = RAISE

    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=30))
    applicant = fields.Nested(ApplicantSchema, required=True)
    contact = fields.Nested(ContactSchema, load_default=dict)
    channel = fields.String(load_default="online", validate=validate.OneOf(["online", "counter"]))
    form = fields.Dict(keys=fields.String(), load_default=dict)
    documents = fields.List(fields.Nested(DocumentChoice), load_default=list)
    draft_id = fields.String(load_default=None, validate=validate.Length(equal=36))


class DocumentVersion(Schema):
    """A file sent later for one document of a dossier (completion or supplement): its next version."""

    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    upload = fields.String(required=True, validate=validate.Length(equal=36))


class AddDocumentsRequest(Schema):
    class Meta:
        unknown = RAISE

    documents = fields.List(
        fields.Nested(DocumentVersion), required=True, validate=validate.Length(min=1, max=10)
    )


class UploadRecord(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Length(equal=36))
    file_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    media_type = fields.String(
        required=True, validate=validate.OneOf(["application/pdf", "image/jpeg", "image/png"])
    )
    size_bytes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    path = fields.String(required=True)


class Viewer(Schema):
    """Who asks, as the gateway verified it."""

    class Meta:
        unknown = RAISE

    subject = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["citizen", "officer", "agency"]))
    unit = fields.String(load_default=None, allow_none=True)
    roles = fields.List(fields.String(), load_default=list)
