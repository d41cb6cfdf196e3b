"""Marshmallow schemas at the workflow service's boundary."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from services.chassis.validation import load  # noqa: F401 - the service loads through this module
from services.workflow.domain.worklist import MAX_DUE_WITHIN, MAX_PAGE, VIEWS


class ActParams(Schema):
    class Meta:
        unknown = RAISE

    assignee = fields.String(validate=validate.Length(min=1, max=100))
    to_agency = fields.String(validate=validate.Length(min=1, max=30))
    budget_days = fields.Integer(strict=True, validate=validate.Range(min=0, max=365))
    extra_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=365))


class Attachment(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    # A file the applicant sent as a new version of a dossier document (intake keeps the document versions).
    document = fields.String(validate=validate.Length(min=1, max=20))
    version = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    upload_id = fields.String(validate=validate.Length(equal=36))


class ActRequest(Schema):
    class Meta:
        unknown = RAISE

    # Which actions exist is the process definitions' to say (data/processes/*.yaml): checked in use_cases/act.py.
    action = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    params = fields.Nested(ActParams, load_default=dict)
    attachments = fields.List(fields.Nested(Attachment), load_default=list)
    client_txn_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=8, max=80))


class RateRequest(Schema):
    class Meta:
        unknown = RAISE

    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=1000))


class MergeRequest(Schema):
    class Meta:
        unknown = RAISE

    sources = fields.List(
        fields.String(validate=validate.Length(min=1, max=30)), required=True, validate=validate.Length(min=1)
    )
    successor = fields.String(required=True, validate=validate.Length(min=1, max=30))
    effective_on = fields.Date(required=True)
    source = fields.String(
        load_default="", validate=validate.Length(max=500)
    )  # the resolution (number, date)


class StatisticsRequest(Schema):
    """Filters of a statistic: administrative unit (with merged units), agency, level, procedure, and a period
    (`YYYY`, `YYYY-MM`, `YYYY-Qn`) or a custom range of days in Vietnam legal time."""

    class Meta:
        unknown = RAISE

    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    agency = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    level = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    procedure_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    period = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=7))
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)


class SearchProceduresRequest(Schema):
    """Catalogue search: words or a code (`q`), the level where it is decided, the field, the online mode."""

    class Meta:
        unknown = RAISE

    q = fields.String(load_default="", validate=validate.Length(max=200))
    level = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    field = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    online = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))


class CalendarCorrectionRequest(Schema):
    """A day the calendar files get wrong or do not know yet, with the legal document that decides it."""

    class Meta:
        unknown = RAISE

    date = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["day_off", "working_day"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    source = fields.String(required=True, validate=validate.Length(min=8, max=500))


_PRINTABLE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Ký tự điều khiển không được chấp nhận.")


class WorklistRequest(Schema):
    """A page of a unit's work queue (services/workflow/use_cases/worklist.py)."""

    class Meta:
        unknown = RAISE

    view = fields.String(load_default="all", validate=validate.OneOf(VIEWS))
    status = fields.String(load_default=None, allow_none=True, validate=[validate.Length(max=30), _PRINTABLE])
    procedure_code = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=30), _PRINTABLE]
    )
    due = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["soon", "overdue"]))
    due_within = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_DUE_WITHIN)
    )
    me = fields.String(load_default="", validate=[validate.Length(max=100), _PRINTABLE])
    q = fields.String(load_default="", validate=[validate.Length(max=100), _PRINTABLE])
    # Dossier codes intake found for `q` by applicant name, ID number or phone (among the unit's receipt agencies).
    codes = fields.List(
        fields.String(validate=[validate.Length(max=60), _PRINTABLE]),
        load_default=list,
        validate=validate.Length(max=1000),
    )
    limit = fields.Integer(load_default=50, strict=True, validate=validate.Range(min=1, max=MAX_PAGE))
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=400))
    before = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=400))


# An officer's subject at the identity provider: printable, no spaces or slashes (it is a path segment of the API).
SUBJECT = validate.Regexp(r"^[^\s/\\]{1,100}$", error="Định danh cán bộ không hợp lệ.")
_EMAIL = validate.Email(error="Địa chỉ thư điện tử không hợp lệ.")


def _email_or_empty(value: str) -> None:
    if value:
        validate.Length(max=254)(value)
        _EMAIL(value)


class StaffUpsertRequest(Schema):
    class Meta:
        unknown = RAISE

    subject = fields.String(required=True, validate=SUBJECT)
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title = fields.String(load_default="", validate=validate.Length(max=200))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=30))
    roles = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)), required=True, validate=validate.Length(min=1)
    )
    email = fields.String(load_default="", validate=_email_or_empty)
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_to = fields.Date(load_default=None, allow_none=True)


class StaffRevokeRequest(Schema):
    class Meta:
        unknown = RAISE

    subject = fields.String(required=True, validate=SUBJECT)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


# -- the procedure catalogue (use_cases/catalogue_admin.py) --------------------------------------------------------
CATALOGUE_MEDIA_TYPES = [
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/yaml",
]
MAX_IMPORT_BYTES = 8 * 1024 * 1024  # the file itself; base64 makes it a third longer on the wire
PROCEDURE_CODE = validate.Regexp(r"^[0-9A-Za-z][0-9A-Za-z._\-]{0,29}$")


class CatalogueImportRequest(Schema):
    class Meta:
        unknown = RAISE

    content_base64 = fields.String(
        required=True, validate=validate.Length(min=1, max=(MAX_IMPORT_BYTES + 2) // 3 * 4)
    )
    media_type = fields.String(required=True, validate=validate.OneOf(CATALOGUE_MEDIA_TYPES))
    file_name = fields.String(load_default="", validate=[validate.Length(max=200), _PRINTABLE])
    dry_run = fields.Boolean(load_default=False)
    publish = fields.Boolean(load_default=False)


class CatalogueListRequest(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(load_default="", validate=[validate.Length(max=200), _PRINTABLE])
    offset = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=100_000))
    limit = fields.Integer(strict=True, load_default=50, validate=validate.Range(min=1, max=500))


class PublishVersionRequest(Schema):
    class Meta:
        unknown = RAISE

    effective_from = fields.Date(load_default=None, allow_none=True)


class WithdrawVersionRequest(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500), validate.Regexp(r"\S")])
