"""The public HTTP API's request and response schemas (marshmallow): validated at the gateway and published
in the OpenAPI document. Services validate their RPC arguments again with their own schemas."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from services.chassis.validation import schema_instance
from services.gateway.problems import BadRequest


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class Applicant(_Strict):
    id_number = fields.String(required=True, metadata={"description": "12-digit personal ID number (CCCD)"})


class Contact(_Strict):
    email = fields.Email(metadata={"description": "Overrides the registry's e-mail for this dossier"})
    phone = fields.String()
    language = fields.String(validate=validate.OneOf(["vi", "en"]))


class DocumentChoice(_Strict):
    code = fields.String(required=True, metadata={"description": "Requirement code from the procedure"})
    reuse = fields.String(metadata={"description": "Id of a document the registry holds (see prefill)"})
    upload = fields.String(metadata={"description": "Id returned by POST /api/v1/uploads"})


class SubmitDossierRequest(_Strict):
    procedure_code = fields.String(required=True, metadata={"example": "1.000656"})
    applicant = fields.Nested(Applicant, required=True)
    contact = fields.Nested(Contact)
    channel = fields.String(validate=validate.OneOf(["online", "counter"]))
    form = fields.Dict(keys=fields.String(), metadata={"description": "Procedure-specific form fields"})
    documents = fields.List(
        fields.Nested(DocumentChoice),
        metadata={"description": "One choice per required document (kind: document)"},
    )
    draft_id = fields.String(metadata={"description": "Draft to discard once the dossier is filed"})


class SubmitDossierResponse(Schema):
    code = fields.String(metadata={"example": "000.00.07.H41-261122-0001"})
    documents = fields.List(fields.Dict())
    status = fields.String()
    submitted_at = fields.DateTime()
    agency_code = fields.String()
    agency_name = fields.String()


class ActionParams(_Strict):
    assignee = fields.String()
    to_agency = fields.String()
    budget_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365))
    extra_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=365))


class AttachmentRef(_Strict):
    name = fields.String(required=True)
    sha256 = fields.String(required=True)
    document = fields.String(
        metadata={"description": "Requirement code of the dossier document it is a version of"}
    )
    version = fields.Integer(strict=True, metadata={"description": "That document's version number"})
    upload_id = fields.String()


class DocumentVersionChoice(_Strict):
    code = fields.String(required=True, metadata={"description": "Requirement code of the dossier document"})
    upload = fields.String(required=True, metadata={"description": "Id returned by POST /api/v1/uploads"})


class ActionRequest(_Strict):
    # Any name: the dossier's process definition decides (workflow refuses one it does not define, 422).
    action = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "The name of an action of the dossier's process definition (e.g. `receive`, "
            "`request_supplement`, `withdraw`); `case.allowed_actions` of "
            "GET /api/v1/dossiers/{code} lists those the caller may take now. A name the process "
            "does not define is refused (422)."
        },
    )
    reason = fields.String(
        metadata={"description": "Required by refusals, supplement requests, apologies..."}
    )
    params = fields.Nested(ActionParams)
    attachments = fields.List(fields.Nested(AttachmentRef))
    documents = fields.List(
        fields.Nested(DocumentVersionChoice),
        metadata={
            "description": "Applicant's completion (`complete`) or supplement answer (`resubmit`): each uploaded file "
            "becomes the next version of the named dossier document"
        },
    )
    client_txn_id = fields.String(
        metadata={
            "description": "Idempotency: same id, same action, acted once. "
            "The Idempotency-Key header fills it in."
        }
    )


class RatingRequest(_Strict):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String()


class MergeRequest(_Strict):
    sources = fields.List(fields.String(), required=True)
    successor = fields.String(required=True)
    effective_on = fields.Date(required=True)


class TokenRequest(_Strict):
    sub = fields.String(
        required=True, metadata={"description": "Citizen: 12-digit ID number; officer: user id"}
    )
    kind = fields.String(validate=validate.OneOf(["citizen", "officer", "agency"]))
    name = fields.String()
    unit = fields.String(metadata={"description": "Officer's agency code, e.g. 000.00.07.H41"})
    roles = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        metadata={
            "description": "Officer roles of the process definitions (`receiver`, `handler`, `leader`, `admin`)"
        },
    )
    ttl_seconds = fields.Integer(strict=True, validate=validate.Range(min=60, max=86400))


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    title_en = fields.String()
    status = fields.Integer()
    code = fields.String()
    detail = fields.String()
    errors = fields.Dict()
    # On 503 only: {same_idempotency_key: true, may_have_been_processed: true, vi, en} (problems.RETRY_ADVICE).
    retry = fields.Dict()


def validate_body(schema, body: dict) -> dict:
    """Check a body against its schema (a class: one reused instance each); the services receive the body as
    sent (they validate it again)."""
    errors = schema_instance(schema).validate(body)
    if errors:
        raise ValidationProblem("invalid_request", "Dữ liệu gửi lên không hợp lệ.", {"fields": errors})
    return body


class ValidationProblem(BadRequest):
    http_status = 422
    title = "Dữ liệu không hợp lệ"


__all__ = ["ValidationError"]


# Query parameters of GET /api/v1/statistics, as the OpenAPI document describes them (workflow checks the values).
STATISTICS_QUERY = (
    {
        "name": "unit",
        "description": "Administrative unit code (e.g. `NB.HL.NT`), with the units merged into it.",
        "schema": {"type": "string", "maxLength": 30},
    },
    {
        "name": "agency",
        "description": "Agency code (QCVN 102:2016 style, e.g. `000.00.07.H41`).",
        "schema": {"type": "string", "maxLength": 30},
    },
    {
        "name": "level",
        "description": "Administrative level of the model in force (`province`, `commune`; "
        "`district` only in the 3-level model).",
        "schema": {"type": "string", "maxLength": 20},
    },
    {
        "name": "procedure_code",
        "description": "Procedure code from the catalogue.",
        "schema": {"type": "string", "maxLength": 30},
    },
    {
        "name": "period",
        "description": "A year `YYYY`, a month `YYYY-MM` or a quarter `YYYY-Qn`, in Vietnam legal "
        "time; not with date_from/date_to.",
        "schema": {"type": "string", "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$"},
    },
    {
        "name": "date_from",
        "description": "First day of a custom range (inclusive, Vietnam legal time).",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "date_to",
        "description": "Last day of a custom range (inclusive, Vietnam legal time).",
        "schema": {"type": "string", "format": "date"},
    },
)


# Query parameters of GET /api/v1/procedures (workflow checks the values against the catalogue and model in force).
PROCEDURES_QUERY = (
    {
        "name": "q",
        "description": "Words or a code, with or without Vietnamese diacritics (`xay dung`, `đăng ký`, "
        "`1.001193`); every word must start a word of the name, field or code.",
        "schema": {"type": "string", "maxLength": 200},
    },
    {
        "name": "level",
        "description": "Where the procedure is decided under the administrative model in force "
        "(`province`, `commune`; `district` only in the 3-level model).",
        "schema": {"type": "string", "maxLength": 20},
    },
    {
        "name": "field",
        "description": "The field's Vietnamese or English name, with or without diacritics "
        "(`Hộ tịch`, `ho tich`, `Civil status`).",
        "schema": {"type": "string", "maxLength": 200},
    },
    {
        "name": "online",
        "description": "Online mode (Decree 42/2022): `full` (toàn trình) or `partial` (một phần).",
        "schema": {"type": "string", "enum": ["full", "partial"]},
    },
)


class ProcedureSummary(Schema):
    code = fields.String()
    version = fields.Integer()
    valid_from = fields.Date()
    name = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "{vi, en}"})
    field = fields.Dict(keys=fields.String(), values=fields.String())
    competent_levels = fields.List(fields.String())
    level = fields.String(metadata={"description": "Where it is decided under the model in force."})
    online_mode = fields.String()
    processing_days = fields.Integer(metadata={"description": "Legal processing time, working days."})
    fee_vnd = fields.Integer(metadata={"description": "Fee in VND (integer)."})
    documents = fields.List(fields.Dict())
    chain = fields.List(fields.Dict())
    process = fields.String()
    result = fields.Dict(allow_none=True)


class ProcedureList(Schema):
    items = fields.List(fields.Nested(ProcedureSummary))
    total = fields.Integer(metadata={"description": "Procedures in force, before the search and filters."})


class CalendarCorrectionRequest(_Strict):
    date = fields.Date(required=True, metadata={"description": "The day corrected (Vietnam legal date)."})
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["day_off", "working_day"]),
        metadata={
            "description": "`day_off`: a holiday or swapped day off; `working_day`: a "
            "make-up working day, or a listed day off cancelled."
        },
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    source = fields.String(
        required=True,
        validate=validate.Length(min=8, max=500),
        metadata={
            "description": "The legal document: number and date, e.g. `Thông báo 123/TB-BNV (01/11/2026)`."
        },
    )


class RevokeSessionsRequest(_Strict):
    subject = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The officer's subject at the province's identity provider."},
    )
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"description": "Why (kept in the audit chain), e.g. `chuyển công tác`."},
    )


class BulkAssignRequest(_Strict):
    dossier_codes = fields.List(
        fields.String(validate=validate.Length(min=1, max=60)),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Dossiers of the officer's unit to assign (1 to 100)."},
    )
    assignee = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "The officer's user id (subject), one of the unit's staff when the directory has any."
        },
    )


def _q(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "description": description, "schema": schema}


# Query parameters of GET /api/v1/queue and its export, as the OpenAPI document describes them.
QUEUE_FILTERS = (
    _q(
        "view",
        "`all` (default), `mine` (assigned to the caller), `unassigned` (received, nobody assigned), "
        "`awaiting_receipt`, `due_soon` (due within `due_within` working days), `overdue`. `counts` in the answer "
        "gives every view's size under the other filters.",
        {"type": "string", "enum": ["all", "mine", "unassigned", "awaiting_receipt", "due_soon", "overdue"]},
    ),
    _q(
        "status", "A status of the process definition (e.g. `received`).", {"type": "string", "maxLength": 30}
    ),
    _q("procedure_code", "Procedure code from the catalogue.", {"type": "string", "maxLength": 30}),
    _q(
        "due",
        "`soon` or `overdue` (older form of the due views; both may be given).",
        {"type": "string", "enum": ["soon", "overdue"]},
    ),
    _q(
        "due_within",
        'Working days that make a case "due soon" (default: the province\'s setting, `due_within` in the answer).',
        {"type": "integer", "minimum": 0, "maximum": 60},
    ),
    _q(
        "q",
        "Search: a dossier code or a piece of it, or the applicant's name (every word, with or without "
        "diacritics), 12-digit ID number or phone. A search by person is logged in the registry's access log "
        "of each citizen it matches.",
        {"type": "string", "maxLength": 100},
    ),
)
QUEUE_QUERY = QUEUE_FILTERS + (
    _q("limit", "Page size, 1 to 200 (default 50).", {"type": "integer", "minimum": 1, "maximum": 200}),
    _q("cursor", "`next` of a page: the page after it.", {"type": "string", "maxLength": 400}),
    _q("before", "`previous` of a page: the page before it.", {"type": "string", "maxLength": 400}),
)
QUEUE_EXPORT_QUERY = QUEUE_FILTERS + (
    _q("format", "`csv` (default, UTF-8) or `xlsx`.", {"type": "string", "enum": ["csv", "xlsx"]}),
)


# The staff directory (routes/staff.py): what a province administrator sends to add or change an officer.
class StaffMemberRequest(_Strict):
    full_name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "Nguyễn Thị Lan"}
    )
    title = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Chức vụ, e.g. `Chuyên viên Phòng Hành chính tư pháp`."},
    )
    unit = fields.String(
        required=True,
        validate=validate.Length(min=1, max=30),
        metadata={"description": "The agency the officer works in (code, e.g. `000.00.07.H41`)."},
    )
    roles = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        required=True,
        validate=validate.Length(min=1),
        metadata={
            "description": "Roles of the process definitions (`receiver`, `handler`, `leader`, `admin`)."
        },
    )
    email = fields.String(validate=validate.Length(max=254), metadata={"description": "Work e-mail address."})
    valid_from = fields.Date(
        allow_none=True, metadata={"description": "First day in force (legal date); none: at once."}
    )
    valid_to = fields.Date(allow_none=True, metadata={"description": "Last day in force; none: no end."})


class RevokeOfficerRequest(_Strict):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "Why (kept in the audit chain), e.g. `nghỉ hưu`."},
    )


STAFF_QUERY = (
    {
        "name": "unit",
        "description": "Agency code; default: the caller's own. Other agencies: province administrators only.",
        "schema": {"type": "string", "maxLength": 30},
    },
    {
        "name": "include_ended",
        "description": "`true`: also revoked officers and those out of their dates (administrators only).",
        "schema": {"type": "string", "enum": ["true", "false"]},
    },
)


# The procedure catalogue's administration (routes/catalogue_admin.py, docs/catalogue-import.md).
CATALOGUE_IMPORT_QUERY = (
    _q(
        "dry_run",
        "`true`: validate and report what would change, write nothing.",
        {"type": "string", "enum": ["true", "false"]},
    ),
    _q(
        "publish",
        "`true`: the new versions are published (in force from their date, never before today); default: drafts.",
        {"type": "string", "enum": ["true", "false"]},
    ),
)
CATALOGUE_LIST_QUERY = (
    _q(
        "q",
        "Words of the code, name or field, with or without diacritics.",
        {"type": "string", "maxLength": 200},
    ),
    _q("offset", "Procedures to skip (default 0).", {"type": "integer", "minimum": 0}),
    _q("limit", "Page size, 1 to 500 (default 50).", {"type": "integer", "minimum": 1, "maximum": 500}),
)


class PublishVersionRequest(_Strict):
    effective_from = fields.Date(
        allow_none=True,
        metadata={
            "description": "First day in force (legal date, today or later); none: today, or the draft's own later "
            "date."
        },
    )


class WithdrawVersionRequest(_Strict):
    reason = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=500), validate.Regexp(r"\S")],
        metadata={"description": "Why (kept in the audit chain), e.g. `bãi bỏ theo Quyết định 123/QĐ-UBND`."},
    )
