"""The procedure catalogue administered by a province administrator over the API (workflow owns it;
docs/catalogue-import.md): imports of a whole file (CSV or XLSX with the national database's fields, or the
platform's YAML), every version of a procedure, publication (now or from a date) and withdrawal. Workflow decides
who may (`admin` in a province-level agency) and what is valid; every change is audited in its chain."""

from __future__ import annotations

import base64

from services.chassis.errors import Forbidden, InvalidInput
from services.chassis.filestore import UnsupportedUpload, UploadTooLarge
from services.chassis.rpc import call
from services.gateway import schemas
from services.gateway.auth import viewer
from services.gateway.files import body_stream
from services.gateway.problems import json_response
from services.gateway.routing import endpoint, read_json

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YAML = "application/yaml"
MAX_IMPORT_BYTES = 8 * 1024 * 1024
MEDIA_TYPES = {
    CSV: CSV,
    "application/csv": CSV,
    "text/x-csv": CSV,
    XLSX: XLSX,
    YAML: YAML,
    "application/x-yaml": YAML,
    "text/yaml": YAML,
    "text/x-yaml": YAML,
}
EXTENSIONS = {".csv": CSV, ".xlsx": XLSX, ".yaml": YAML, ".yml": YAML}
IMPORT_TIMEOUT = 180  # seconds: a province's whole catalogue (2,000 procedures and more) in one transaction
_CONSUMES = {
    CSV: {"type": "string", "description": "UTF-8, the documented header on the first line"},
    XLSX: {
        "type": "string",
        "format": "binary",
        "description": "the first sheet, the header on its first row",
    },
    YAML: {"type": "string", "description": "the platform's procedures file (a `procedures` list)"},
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    },
}


def media_type_of(declared: str, file_name: str = "") -> str:
    """The import's format from its Content-Type, or (a browser's generic type) its file name's extension; 415
    otherwise."""
    found = MEDIA_TYPES.get((declared or "").split(";")[0].strip().lower())
    extension = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    found = found or EXTENSIONS.get(extension)
    if found is None:
        raise UnsupportedUpload(
            "unsupported_catalogue_file",
            "Chỉ nhận tệp CSV (text/csv), Excel (.xlsx) hoặc YAML (application/yaml).",
            {"accepted": sorted({*MEDIA_TYPES.values()})},
        )
    return found


def read_bounded(stream) -> bytes:
    """At most MAX_IMPORT_BYTES of `stream` (413 past it, nothing kept)."""
    content = stream.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise UploadTooLarge("file_too_large", f"Tệp vượt quá {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    if not content:
        raise InvalidInput("empty_file", "Tệp rỗng.")
    return content


def flag(request, name: str) -> bool:
    value = request.args.get(name, "false")
    if value not in ("true", "false"):
        raise InvalidInput("invalid_query", f"{name} phải là 'true' hoặc 'false'.", {"field": name})
    return value == "true"


def import_request(content: bytes, media_type: str, file_name: str, dry_run: bool, publish: bool) -> dict:
    return {
        "content_base64": base64.b64encode(content).decode("ascii"),
        "media_type": media_type,
        "file_name": (file_name or "").replace("\\", "/").rsplit("/", 1)[-1][:200],
        "dry_run": dry_run,
        "publish": publish,
    }


def send_import(workflow, body: dict, actor: dict) -> dict:
    """Workflow's import; a refusal's numbers given back their type (nameko carries an error's details as text)."""
    try:
        return call(workflow.catalogue_import, body, actor, timeout=IMPORT_TIMEOUT)
    except InvalidInput as refused:
        if refused.code == "catalogue_rows_invalid":
            refused.details = numbers_typed(refused.details)
        raise


def numbers_typed(details: dict) -> dict:
    """{problem_count, bad_lines, problems: [{line, ...}]} with the counts and lines as integers again."""

    def number(value):
        return int(value) if isinstance(value, str) and value.isdigit() else value

    typed = {key: number(value) for key, value in details.items() if key != "problems"}
    typed["problems"] = [{**p, "line": number(p.get("line"))} for p in details.get("problems") or []]
    return typed


class CatalogueAdminRoutes:
    @endpoint(
        "POST",
        "/api/v1/catalogue/imports",
        tag="catalogue-admin",
        status=201,
        query=schemas.CATALOGUE_IMPORT_QUERY,
        consumes=_CONSUMES,
    )
    def import_catalogue(self, request):
        """Import procedures from a file (province administrators): the raw body with its Content-Type (`text/csv`,
        `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, `application/yaml`), or
        `multipart/form-data` with a `file` part; 8 MB at most. Columns: docs/catalogue-import.md.

        The file is validated whole: any bad row and nothing is imported, 422 `catalogue_rows_invalid` listing every
        problem in `errors.problems` ({line, column, code, problem, problem_en}). Otherwise each new or changed
        procedure gets a new version (a draft, or published with `publish=true`: in force from its "Hiệu lực từ"
        date, never before today); unchanged procedures are left alone, procedures the file leaves out too. One
        transaction, audited (the import with its counts and SHA-256, each version created). `dry_run=true`
        validates and reports what would change, writes nothing (200)."""
        principal = self._catalogue_administrator(request)
        dry_run, publish = flag(request, "dry_run"), flag(request, "publish")
        if request.content_length and request.content_length > MAX_IMPORT_BYTES + 64 * 1024:
            raise UploadTooLarge("file_too_large", f"Tệp vượt quá {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
        if (request.mimetype or "") == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise InvalidInput("file_required", "Thiếu tệp (trường `file`).", {"field": "file"})
            media_type, name = media_type_of(upload.mimetype or "", upload.filename), upload.filename
            content = read_bounded(upload.stream)
        else:
            media_type, name = media_type_of(request.headers.get("Content-Type", "")), ""
            content = read_bounded(body_stream(request))
        body = import_request(content, media_type, name, dry_run, publish)
        report = send_import(self.workflow, body, viewer(principal))
        return json_response(report, 200 if dry_run else 201)

    @endpoint(
        "GET", "/api/v1/catalogue/procedures", tag="catalogue-admin", query=schemas.CATALOGUE_LIST_QUERY
    )
    def catalogue_procedures(self, request):
        """The procedures of the catalogue as administrators see them (drafts and scheduled versions too), matching
        `q` (code, name, field; with or without diacritics): each with its version in force and its newest version's
        status. Province administrators only."""
        principal = self._catalogue_administrator(request)
        try:
            body = {
                "q": request.args.get("q", ""),
                "offset": int(request.args.get("offset", "0")),
                "limit": int(request.args.get("limit", "50")),
            }
        except ValueError:
            raise InvalidInput("invalid_query", "offset và limit phải là số nguyên.") from None
        return json_response(call(self.workflow.catalogue_procedures, body, viewer(principal)))

    @endpoint("GET", "/api/v1/catalogue/procedures/<string:code>/versions", tag="catalogue-admin")
    def procedure_versions(self, request, code):
        """Every version of a procedure, newest first: status (draft, published, withdrawn), state (draft,
        scheduled, in_force, superseded, withdrawn), effective date, who created, published or withdrew it and why,
        what it says, what changed from the version before, how many open dossiers follow it."""
        principal = self._catalogue_administrator(request)
        return json_response(call(self.workflow.catalogue_versions, code, viewer(principal)))

    @endpoint(
        "POST",
        "/api/v1/catalogue/procedures/<string:code>/versions/<int:version>/publication",
        tag="catalogue-admin",
        body=schemas.PublishVersionRequest,
    )
    def publish_version(self, request, code, version):
        """Publish a version: in force from `effective_from` (default today, or the draft's own later date; never a
        past day), or a scheduled version's date moved. Dossiers filed before keep the version they were filed
        under (routing, due dates, forms); new filings get this one from its date. 409 for a version in force
        already, superseded or withdrawn."""
        principal = self._catalogue_administrator(request)
        body = schemas.validate_body(schemas.PublishVersionRequest, read_json(request))
        answer = call(self.workflow.catalogue_publish, code, version, body, viewer(principal))
        return json_response(answer)

    @endpoint(
        "POST",
        "/api/v1/catalogue/procedures/<string:code>/versions/<int:version>/withdrawal",
        tag="catalogue-admin",
        body=schemas.WithdrawVersionRequest,
    )
    def withdraw_version(self, request, code, version):
        """Withdraw a version with a `reason`: a draft given up, a scheduled version cancelled, or the version in
        force (the published one before it, if any, is in force again; none: new filings are refused). Open
        dossiers filed under it keep it. Idempotent (`changed` false the second time)."""
        principal = self._catalogue_administrator(request)
        body = schemas.validate_body(schemas.WithdrawVersionRequest, read_json(request))
        answer = call(self.workflow.catalogue_withdraw, code, version, body, viewer(principal))
        return json_response(answer)

    def _catalogue_administrator(self, request):
        """An officer holding `admin`; workflow then decides whether they administer the province (a
        province-level agency). Officers without the role are refused here, without asking workflow."""
        principal = self._officer(request)
        if "admin" not in principal.roles:
            raise Forbidden(
                "role_not_allowed",
                "Chỉ quản trị viên của tỉnh được quản lý danh mục thủ tục.",
                {"required_role": "admin"},
            )
        return principal
