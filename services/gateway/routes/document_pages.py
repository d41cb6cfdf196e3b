"""A dossier's files and printable forms, for its applicant and the officers handling it: each document opens in
the browser (a file uploaded with the dossier or as a later version, a document reused from the citizen's
registry), and every opening by an officer is written to the access log the citizen sees (the registry's
`record_document_read`, with the officer's name, title and unit) before the document is shown; the signed result;
Forms 01-06 with the applicant's and officers' names (Form 07, the unit's logbook, is on the officers' pages); the
e-receipt."""

from __future__ import annotations

import mimetypes

from services.chassis.errors import NotFound
from services.chassis.filestore import FileStore
from services.chassis.rpc import call
from services.gateway.files import signed_result_path
from services.gateway.people import People
from services.gateway.routes.citizen_pages import find_procedure
from services.gateway.routes.dossier_pages import agencies_by_code
from services.gateway.routing import FORM_NUMBERS, attachment, html_response
from services.gateway.web.base import page
from services.gateway.web.labels import (
    DOCUMENT_PROVENANCES,
    REGISTRY_DOCUMENT_STATUSES,
    level_labels,
    outcome_labels,
)
from services.gateway.web.render import printable


class DocumentPages:
    @page("GET", "/ho-so/<string:code>/tai-lieu/<string:upload_id>", kinds=("citizen", "officer"))
    def uploaded_document(self, wr, code, upload_id):
        """A file uploaded with the dossier or as a later version (only files of this dossier), opened in the
        browser (`?tai-ve=1`: downloaded). An officer's opening is logged for the applicant first."""
        dossier, _ = self._visible_dossier(wr.principal, code)
        doc = next((d for d in dossier.get("documents", []) if d.get("upload_id") == upload_id), None)
        path = FileStore().path_of(upload_id) if doc else None
        if path is None:
            raise NotFound("document_not_found", wr.t("Không tìm thấy tài liệu.", "Document not found."))
        if wr.principal.kind == "officer":
            _log_read(self, wr, dossier, doc)
        name = f"{upload_id}{_ext(doc['media_type'])}"
        return attachment(path, doc["media_type"], name, inline=not wr.request.args.get("tai-ve"))

    @page("GET", "/ho-so/<string:code>/giay-to/<string:document_id>", kinds=("citizen", "officer"))
    def registry_document(self, wr, code, document_id):
        """A document the applicant reused from their registry (what the state holds: title, issuer, number,
        dates, validity, fingerprint). An officer's opening is logged for the applicant first."""
        dossier, _ = self._visible_dossier(wr.principal, code)
        doc = next(
            (d for d in dossier.get("documents", []) if d.get("registry_document_id") == document_id), None
        )
        if doc is None:
            raise NotFound("document_not_found", wr.t("Không tìm thấy giấy tờ.", "Document not found."))
        if wr.principal.kind == "officer":
            _log_read(self, wr, dossier, doc)
        held = call(self.registry.get_document, document_id, dossier["applicant"]["id_number"])
        procedure = find_procedure(self, dossier["procedure_code"], missing_ok=True)
        return wr.render(
            "registry_document.html",
            title=held.get("title") or wr.t("Giấy tờ", "Document"),
            d=dossier,
            doc=doc,
            held=held,
            requirement=_requirement_name(wr, procedure, doc["code"]),
            provenances=DOCUMENT_PROVENANCES,
            statuses=REGISTRY_DOCUMENT_STATUSES,
        )

    @page("GET", "/ho-so/<string:code>/ket-qua", kinds=("citizen", "officer"))
    def result_download(self, wr, code):
        """The signed result (PDF) of a dossier, for its applicant and the officers handling it."""
        self._visible_dossier(wr.principal, code)
        return attachment(
            signed_result_path(call(self.workflow.result_document, code)),
            "application/pdf",
            f"ket-qua-{code}.pdf",
        )

    @page("GET", "/ho-so/<string:code>/mau/<string:number>", kinds=("citizen", "officer"))
    def form_page(self, wr, code, number):
        """Forms 01-06 of a dossier, printable and signed by name (the receipt is Form 01)."""
        if number not in FORM_NUMBERS:
            raise NotFound("unknown_form", wr.t("Mẫu phiếu phải là 01 đến 06.", "Forms are 01 to 06."))
        dossier, case = self._visible_dossier(wr.principal, code)
        context = dossier_form_context(self, wr.principal, dossier, case)
        return html_response(call(self.workflow.render_form, code, number, context))

    @page("GET", "/ho-so/<string:code>/bien-lai", kinds=("citizen", "officer"))
    def receipt_page(self, wr, code):
        """The e-receipt of the paid fee, printable."""
        self._visible_dossier(wr.principal, code)
        return printable("receipt.html", r=call(self.payment.get_receipt, code))


def dossier_form_context(service, principal, dossier: dict, case: dict | None) -> dict:
    """What Forms 01-06 need besides workflow's data: the applicant's name and contact, the officers of the case
    by name and title, the labels of levels and outcomes, and who prints it (an officer)."""
    people = People(service.workflow)
    history = (case or {}).get("history") or []
    people.remember_signatures(history)
    subjects = {h["actor"] for h in history} | {(case or {}).get("assignee") or ""}
    return {
        "applicant": {
            "full_name": dossier["applicant"].get("full_name") or "",
            "address_unit_code": dossier["applicant"].get("address_unit_code") or "",
        },
        "contact": {k: (dossier.get("contact") or {}).get(k) or "" for k in ("phone", "email")},
        "people": people.context(s for s in subjects if s not in ("system", "payment")),
        "labels": {"levels": level_labels(), "outcomes": outcome_labels()},
        "printed_by": _printed_by(people, principal),
    }


def form_context(service, principal) -> dict:
    """What Form 07 (the unit's logbook) needs besides workflow's data: labels and who prints it."""
    people = People(service.workflow)
    return {
        "labels": {"levels": level_labels(), "outcomes": outcome_labels()},
        "printed_by": _printed_by(people, principal),
    }


def _printed_by(people: People, principal) -> dict:
    if principal.kind != "officer":
        return {}
    me = people.officer(principal.subject, principal.name)
    return {"full_name": me["full_name"], "title": me["title"]}


def _log_read(service, wr, dossier: dict, doc: dict) -> None:
    """The officer's opening of `doc`, in the registry's access log of the applicant (before it is shown: no
    unlogged read). The officer by name, title and unit; the document by its name and version."""
    principal = wr.principal
    me = People(service.workflow).officer(principal.subject, principal.name)
    unit = agencies_by_code(service).get(principal.unit or "") or {}
    procedure = find_procedure(service, dossier["procedure_code"], missing_ok=True)
    call(
        service.registry.record_document_read,
        dossier["applicant"]["id_number"],
        dossier["code"],
        {
            "subject": principal.subject,
            "name": me["full_name"],
            "title": me["title"],
            "unit": principal.unit or "",
            "unit_name": unit.get("name") or "",
        },
        {
            "code": doc["code"],
            "name": _requirement_name(wr, procedure, doc["code"], "vi"),
            "version": str(doc.get("version") or ""),
            "source": doc.get("source") or "",
        },
        timeout=5,
    )


def _requirement_name(wr, procedure: dict | None, code: str, lang: str | None = None) -> str:
    found = next((d for d in (procedure or {}).get("documents", []) if d.get("code") == code), None)
    if found is None:
        return wr.t("Giấy tờ khác", "Other document")
    names = found.get("name") or {}
    return names.get(lang or wr.lang) or names.get("vi") or ""


def _ext(media_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        media_type or "", mimetypes.guess_extension(media_type or "") or ""
    )
