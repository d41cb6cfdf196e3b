"""The officers' work queue, one path for the API and the web: a page (views with counts, filters, search, keyset
cursors), the export of a whole filter, bulk assignment, and the unit's officers to assign to.

Personal data lives in intake: a search by name, ID number or phone asks intake which dossiers of the agencies that
received the unit's open cases match (intake logs each match in the registry's access log for the citizen), and
workflow keeps, among those and the codes matching the text, the cases the unit holds. A page's applicants come
from intake too: the name and the masked ID number, never the phone."""

from __future__ import annotations

import re
import unicodedata

from nameko.exceptions import MethodNotFound, RemoteError
from werkzeug.wrappers import Response

from services.chassis.clock import LEGAL_TZ, legal_text, utcnow
from services.chassis.errors import InvalidInput, ServiceError
from services.chassis.rpc import call
from services.gateway import exports
from services.gateway.auth import actor, viewer
from services.gateway.problems import SECURITY_HEADERS

PAGE_SIZES = (20, 50, 100, 200)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_BULK = 100
# What a page or an export asks workflow (the names of WorklistRequest).
FIELDS = ("view", "status", "procedure_code", "due", "due_within", "q", "limit", "after", "before")


def _int(value, name: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        raise InvalidInput("invalid_query", f"{name} phải là số nguyên từ {low} đến {high}.", {"field": name})
    return number


def _text(value, name: str) -> str:
    """A parameter as text, refused (422) when it holds control characters (no code, name or number does)."""
    text = str(value)
    if CONTROL.search(text):
        raise InvalidInput("invalid_query", f"{name} chứa ký tự không hợp lệ.", {"field": name})
    return text


def query(raw: dict) -> dict:
    """The request for workflow from query parameters under their API names (empty ones dropped; numbers and
    characters checked here, the rest by workflow: 422 for an unknown view, status or due filter)."""
    found = {k: _text(raw[k], k) for k in FIELDS if raw.get(k) not in (None, "")}
    for name, low, high in (("limit", 1, 200), ("due_within", 0, 60)):
        if name in found:
            found[name] = _int(found[name], name, low, high)
    if "q" in found:
        found["q"] = str(found["q"]).strip()[:100]
    return found


def _search(service, principal, text: str) -> dict:
    if not text:
        return {"codes": [], "kind": "none", "truncated": False}
    agencies = call(service.workflow.worklist_agencies, principal.unit)
    return call(service.intake.find_dossiers, text, agencies, viewer(principal), timeout=20)


def _with_applicants(service, principal, items: list[dict]) -> list[dict]:
    codes = [i["dossier_code"] for i in items]
    people = call(service.intake.applicants, codes, viewer(principal), timeout=20) if codes else {}
    for item in items:
        person = people.get(item["dossier_code"]) or {}
        item["applicant_name"] = person.get("full_name", "")
        item["applicant_id_masked"] = person.get("id_number_masked", "")
    return items


def page(service, principal, request: dict) -> dict:
    """A page of the officer's unit queue: {items (with applicant name and masked ID), next, previous, counts,
    view, due_within, search: {kind, truncated}}."""
    found = _search(service, principal, request.get("q", ""))
    answer = call(
        service.workflow.worklist,
        principal.unit,
        {**request, "me": principal.subject, "codes": found["codes"]},
    )
    _with_applicants(service, principal, answer["items"])
    answer["search"] = {"kind": found["kind"], "truncated": found["truncated"]}
    return answer


def export(service, principal, request: dict) -> dict:
    """Every row of the filter (at most 5,000), with applicants as the page shows them: {items, truncated}."""
    request = {k: v for k, v in request.items() if k not in ("limit", "after", "before")}
    found = _search(service, principal, request.get("q", ""))
    answer = call(
        service.workflow.worklist_export,
        principal.unit,
        {**request, "me": principal.subject, "codes": found["codes"]},
        timeout=30,
    )
    _with_applicants(service, principal, answer["items"])
    service.log.info("queue_exported", rows=len(answer["items"]), unit=principal.unit)
    return answer


def download(service, principal, request: dict, fmt: str, t, name) -> Response:
    """The export of `request` as a CSV or XLSX attachment, in the language of `t(vi, en)` (`name({vi, en})`)."""
    if fmt not in exports.MEDIA:
        raise InvalidInput("invalid_query", "Định dạng phải là csv hoặc xlsx.", {"field": "format"})
    answer = export(service, principal, request)
    words = service.vocabulary.words(service.workflow)
    procedures = {p["code"]: p for p in call(service.workflow.list_procedures)}

    def name_of(item: dict) -> tuple[str, str]:
        procedure = procedures.get(item["procedure_code"])
        return (
            name(procedure["name"]) if procedure else item["procedure_code"],
            name(words.status(item["status"])),
        )

    now = utcnow()
    about = [
        (
            t("Nguồn", "Source"),
            t(
                "Hệ thống Một cửa điện tử, dữ liệu hồ sơ của đơn vị",
                "One-stop shop system, the unit's dossiers",
            ),
        ),
        (t("Đơn vị", "Unit"), principal.unit or ""),
        (t("Người xuất", "Exported by"), principal.subject),
        (t("Thời điểm", "Exported at"), legal_text(now)),
        (t("Bộ lọc", "Filter"), ", ".join(f"{k}={v}" for k, v in sorted(request.items()) if k != "q")),
        (
            t("Số dòng", "Rows"),
            str(len(answer["items"])) + (t(" (đã cắt bớt)", " (truncated)") if answer["truncated"] else ""),
        ),
    ]
    content = exports.build(fmt, answer["items"], name_of, t, about)
    response = Response(content, mimetype=exports.MEDIA[fmt].split(";")[0])
    response.headers["Content-Type"] = exports.MEDIA[fmt]
    stamp = now.astimezone(LEGAL_TZ).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="hang-doi-{principal.unit}-{stamp}.{fmt}"'
    )
    for key, value in SECURITY_HEADERS.items():
        response.headers[key] = value
    return response


def staff(service, unit: str) -> list[dict]:
    """The unit's officers in force (workflow's staff directory), by name; [] while the directory is not
    there (an older workflow: the RPC is missing) or cannot answer: the page then asks for a user id."""
    try:
        people = call(service.workflow.staff_list, unit, timeout=5)
    except MethodNotFound:
        return []
    except RemoteError as exc:
        if exc.exc_type == "MethodNotFound":
            return []
        raise
    except ServiceError:
        return []
    return sorted(people or [], key=lambda p: _folded(p.get("full_name") or p.get("subject") or ""))


def _folded(text: str) -> str:
    """Lower case without diacritics (đ as d): Vietnamese names in alphabetical order."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def assign(service, principal, codes: list[str], assignee: str, txn: str | None = None) -> dict:
    """Assign each dossier to `assignee`, each by the process's own `assign` action through workflow (its
    history, audit entry, status event); one refusal does not stop the others. `txn` makes a retried request
    act once per dossier (the same client_txn_id for each: workflow keys it per dossier)."""
    codes = list(dict.fromkeys(_text(c, "dossier_codes").strip() for c in codes if c and c.strip()))
    assignee = _text(assignee, "assignee")
    if not codes or len(codes) > MAX_BULK:
        raise InvalidInput("invalid_request", f"Chọn từ 1 đến {MAX_BULK} hồ sơ.", {"field": "dossier_codes"})
    if not assignee.strip() or len(assignee) > 100:
        raise InvalidInput("invalid_request", "Chọn cán bộ được phân công.", {"field": "assignee"})
    known = {p.get("subject") for p in staff(service, principal.unit)}
    if known and assignee.strip() not in known:
        raise InvalidInput(
            "unknown_assignee",
            "Cán bộ được chọn không thuộc đơn vị.",
            {"field": "assignee", "unit": principal.unit},
        )
    body = {"action": "assign", "params": {"assignee": assignee.strip()}}
    if txn:
        body["client_txn_id"] = f"queue-bulk:{txn}"[:80]
    results = []
    for code in codes:
        try:
            case = call(service.workflow.act, code, body, actor(principal), timeout=15)
        except ServiceError as exc:
            results.append({"dossier_code": code, "ok": False, "code": exc.code, "message": exc.message})
        else:
            results.append({"dossier_code": code, "ok": True, "status": case["status"]})
    assigned = sum(1 for r in results if r["ok"])
    service.log.info("queue_bulk_assigned", assigned=assigned, failed=len(results) - assigned)
    return {
        "assignee": assignee.strip(),
        "assigned": assigned,
        "failed": len(results) - assigned,
        "results": results,
    }
