"""One dossier's pages, shared by its applicant and the officers handling it: the dossier (status, timeline,
due date explained, what to do next or the actions the officer's roles allow), taking an action, paying the
fee, refunds (leaders), rating, and the files (uploads, signed result, forms, e-receipt). Server-rendered HTML
with no script."""

from __future__ import annotations

import mimetypes

from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from services.chassis.filestore import FileStore
from services.chassis.rpc import call
from services.gateway import actions as dossier_actions
from services.gateway import ratelimit
from services.gateway.auth import viewer
from services.gateway.files import receive_upload, signed_result_path
from services.gateway.routes.citizen_pages import find_procedure
from services.gateway.routing import FORM_NUMBERS, attachment, html_response
from services.gateway.web.base import page
from services.gateway.web.labels import (
    CHANNEL_NAMES,
    CHANNELS,
    FORM_ACTIONS,
    FORM_OF,
    NOTIFICATION_STATUSES,
    OUTCOMES,
)
from services.gateway.web.render import printable


class DossierPages:
    @page("GET", "/ho-so/<string:code>", kinds=("citizen", "officer"))
    def dossier_page(self, wr, code):
        """One dossier: status, timeline, due date explained, what to do next (citizen) or the actions the
        officer's roles allow, with the reasons each requires."""
        dossier, case = self._visible_dossier(wr.principal, code)
        procedure = find_procedure(self, dossier["procedure_code"], missing_ok=True)
        payment = _optional(lambda: call(self.payment.get_payment, code, timeout=5))
        result = _optional(lambda: call(self.workflow.result_document, code, timeout=5))
        notifications = _optional(lambda: call(self.notify.list_notifications, code, timeout=3)) or []
        supplement = (
            next((h for h in reversed(case["history"]) if h["action"] == "request_supplement"), None)
            if case
            else None
        )
        completion = (
            next((h for h in reversed(case["history"]) if h["action"] == "request_completion"), None)
            if case
            else None
        )
        return wr.render(
            "dossier.html",
            title=f"{wr.t('Hồ sơ', 'Dossier')} {code}",
            d=dossier,
            case=case,
            procedure=procedure,
            payment=payment,
            result=result,
            notifications=notifications,
            supplement=supplement,
            completion=completion,
            words=self.vocabulary.words(self.workflow),
            process=(procedure or {}).get("process"),
            channels=CHANNELS,
            outcomes=OUTCOMES,
            note_statuses=NOTIFICATION_STATUSES,
            note_channels=CHANNEL_NAMES,
            forms=sorted(FORM_NUMBERS),
            form_actions=FORM_ACTIONS,
            form_of=FORM_OF,
            new=wr.request.args.get("moi"),
            flash=wr.request.args.get("tb"),
        )

    @page("POST", "/ho-so/<string:code>/thao-tac", kinds=("citizen", "officer"))
    def dossier_action(self, wr, code):
        """Take an action from the dossier page (officers by role and unit; citizens: answer a supplement
        request, withdraw). The form's one-time key makes a double submit act once."""
        form = wr.request.form
        action = form.get("action", "")
        body = {"action": action, "client_txn_id": form.get("txn", "")[:80] or None}
        if form.get("reason", "").strip():
            body["reason"] = form["reason"].strip()[:2000]
        params = {}
        for key in ("assignee", "to_agency"):
            if form.get(key, "").strip():
                params[key] = form[key].strip()[:100]
        if form.get("extra_days", "").strip():
            try:
                params["extra_days"] = int(form["extra_days"])
            except ValueError:
                raise InvalidInput(
                    "invalid_request", wr.t("Số ngày gia hạn phải là số.", "Extra days must be a number.")
                ) from None
        if params:
            body["params"] = params
        upload = wr.request.files.get("file")
        if upload is not None and upload.filename:
            record = receive_upload(
                self.intake, upload.stream, upload.mimetype or "", None, upload.filename, viewer(wr.principal)
            )
            body["attachments"] = [{"name": record["file_name"], "sha256": record["sha256"]}]
        # The applicant's completion or supplement answer: one optional file per dossier document, each its next
        # version (services/gateway/actions.py).
        documents = []
        for key, upload in wr.request.files.items(multi=True):
            if key.startswith("file-") and upload is not None and upload.filename:
                record = receive_upload(
                    self.intake,
                    upload.stream,
                    upload.mimetype or "",
                    None,
                    upload.filename,
                    viewer(wr.principal),
                )
                documents.append({"code": key[5:][:20], "upload": record["id"]})
        if documents:
            body["documents"] = documents
        if body["client_txn_id"] is None:
            body.pop("client_txn_id")
        dossier_actions.take(self, wr.principal, code, body)
        return wr.redirect(f"/ho-so/{code}?tb={action}")

    @page("POST", "/ho-so/<string:code>/thanh-toan", kinds=("citizen",))
    def pay(self, wr, code):
        """Start paying the fee: a new attempt, then the browser goes to the payment gateway and comes back."""
        call(self.intake.get_dossier, code, viewer(wr.principal))
        started = call(self.payment.start_payment, code, ratelimit.client_address(wr.request))
        return wr.redirect(started["payment_url"])

    @page("POST", "/ho-so/<string:code>/hoan-phi", kinds=("officer",))
    def refund_page(self, wr, code):
        """A leader of the unit refunds part or all of the paid fee. The form's one-time key is the refund's
        Idempotency-Key: a double submit refunds once."""
        self._visible_dossier(wr.principal, code)
        form = wr.request.form
        text = form.get("amount_vnd", "").replace(".", "").replace(" ", "").strip()
        if not text.isdigit():
            raise InvalidInput(
                "invalid_amount",
                wr.t(
                    "Số tiền hoàn phải là số nguyên dương (đồng).",
                    "The amount must be a whole number of đồng.",
                ),
            )
        try:
            call(
                self.payment.refund,
                code,
                int(text),
                form.get("reason", "").strip()[:500],
                viewer(wr.principal),
                form.get("txn", "")[:100] or None,
                timeout=20,
            )
        except (Unavailable, Conflict) as exc:
            if exc.code != "refund_outcome_unknown":
                raise
            return wr.redirect(f"/ho-so/{code}?tb=refund_unknown")
        return wr.redirect(f"/ho-so/{code}?tb=refunded")

    @page("POST", "/ho-so/<string:code>/hoan-phi/<string:refund_id>/xac-nhan", kinds=("officer",))
    def settle_refund_page(self, wr, code, refund_id):
        """A leader settles a refund whose outcome the gateway never told, from its statement."""
        self._visible_dossier(wr.principal, code)
        form = wr.request.form
        call(
            self.payment.settle_refund,
            code,
            refund_id,
            form.get("outcome", ""),
            form.get("note", "").strip()[:1000],
            viewer(wr.principal),
        )
        return wr.redirect(f"/ho-so/{code}?tb=refund_settled")

    @page("POST", "/ho-so/<string:code>/danh-gia", kinds=("citizen",))
    def rate_page(self, wr, code):
        """The citizen's satisfaction rating (1-5) once the result is returned."""
        try:
            score = int(wr.request.form.get("score", ""))
        except ValueError:
            raise InvalidInput(
                "invalid_score", wr.t("Chọn mức đánh giá từ 1 đến 5.", "Choose a rating from 1 to 5.")
            ) from None
        call(self.intake.get_dossier, code, viewer(wr.principal))
        body = {"score": score}
        if wr.request.form.get("comment", "").strip():
            body["comment"] = wr.request.form["comment"].strip()[:1000]
        call(self.workflow.rate, code, body, viewer(wr.principal))
        return wr.redirect(f"/ho-so/{code}?tb=rated")

    @page("GET", "/ho-so/<string:code>/ket-qua", kinds=("citizen", "officer"))
    def result_download(self, wr, code):
        """The signed result (PDF) of a dossier, for its applicant and the officers handling it."""
        self._visible_dossier(wr.principal, code)
        return attachment(
            signed_result_path(call(self.workflow.result_document, code)),
            "application/pdf",
            f"ket-qua-{code}.pdf",
        )

    @page("GET", "/ho-so/<string:code>/tai-lieu/<string:upload_id>", kinds=("citizen", "officer"))
    def uploaded_document(self, wr, code, upload_id):
        """A file uploaded with the dossier (only files that belong to this dossier)."""
        dossier, _ = self._visible_dossier(wr.principal, code)
        doc = next((d for d in dossier.get("documents", []) if d.get("upload_id") == upload_id), None)
        path = FileStore().path_of(upload_id) if doc else None
        if path is None:
            raise NotFound("document_not_found", wr.t("Không tìm thấy tài liệu.", "Document not found."))
        return attachment(path, doc["media_type"], f"{upload_id}{_ext(doc['media_type'])}")

    @page("GET", "/ho-so/<string:code>/mau/<string:number>", kinds=("citizen", "officer"))
    def form_page(self, wr, code, number):
        """Forms 01-06 of a dossier, printable (the receipt is Form 01)."""
        if number not in FORM_NUMBERS:
            raise NotFound("unknown_form", wr.t("Mẫu phiếu phải là 01 đến 06.", "Forms are 01 to 06."))
        self._visible_dossier(wr.principal, code)
        return html_response(call(self.workflow.render_form, code, number))

    @page("GET", "/ho-so/<string:code>/bien-lai", kinds=("citizen", "officer"))
    def receipt_page(self, wr, code):
        """The e-receipt of the paid fee, printable."""
        self._visible_dossier(wr.principal, code)
        return printable("receipt.html", r=call(self.payment.get_receipt, code))


def _optional(fetch):
    """Parts of a page that may be missing (no fee, no result yet, a service down): the page still shows."""
    try:
        return fetch()
    except (NotFound, Conflict, Unavailable, Forbidden):
        return None


def _ext(media_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        media_type or "", mimetypes.guess_extension(media_type or "") or ""
    )
