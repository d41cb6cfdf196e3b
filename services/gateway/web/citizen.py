"""Citizen pages: the procedure catalogue, a procedure, the submission wizard (registry data pre-filled, each
document reused or uploaded, review, submit), "my dossiers", one dossier (timeline, due date explained,
supplement to answer, fee to pay, result to download, rating), and the public status lookup. Server-rendered HTML
with no script, so it works on any phone and with a keyboard or a screen reader."""
from __future__ import annotations

import mimetypes

from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from services.chassis.filestore import FileStore, UploadRefused
from services.chassis.rpc import call
from services.gateway import actions as dossier_actions
from services.gateway import ratelimit
from services.gateway.auth import viewer
from services.gateway.files import receive_upload, signed_result_path
from services.gateway.routing import FORM_NUMBERS, attachment, html_response
from services.gateway.web.base import error_page, page
from services.gateway.web.labels import (
    ACTION_LABELS,
    CHANNEL_NAMES,
    CHANNELS,
    FORM_ACTIONS,
    FORM_OF,
    LEVELS,
    MODES,
    NOTIFICATION_STATUSES,
    OUTCOMES,
    ROLE_LABELS,
)

MAX_WIZARD_BYTES = 40 * 1024 * 1024


def web_submission_key(draft_id: str) -> str:
    """The Idempotency-Key of the wizard's filing of one draft: the same for every attempt."""
    return f"web-draft:{draft_id}"


class CitizenPages:
    # -- catalogue (public) ---------------------------------------------------------------------------------
    @page("GET", "/", public=True)
    def home(self, wr):
        """The procedure catalogue: search by name or code (with or without diacritics), filter by level, field
        and online mode. Workflow's precomputed index does the matching; an unknown filter value is refused."""
        args = wr.request.args
        level, field, mode = args.get("cap", ""), args.get("linh-vuc", ""), args.get("muc-do", "")
        found = call(self.workflow.search_procedures, {"q": args.get("q", ""), "level": level or None,
                                                       "field": field or None, "online": mode or None})
        fields = [f["vi"] for f in found["fields"] if f.get("vi")]
        return wr.render("home.html", title=wr.t("Thủ tục hành chính", "Administrative procedures"),
                         procedures=found["items"], total=found["total"], q=args.get("q", ""), level=level,
                         field=field, mode=mode, fields=fields, levels=LEVELS, modes=MODES,
                         model_levels=found["levels"], model_modes=found["online_modes"])

    @page("GET", "/thu-tuc/<string:code>", public=True)
    def procedure_page(self, wr, code):
        """One procedure: documents, fee, processing time, where it is decided, how it can be filed online."""
        procedure = _procedure(self, code)
        return wr.render("procedure.html", title=wr.name(procedure["name"]), p=procedure, levels=LEVELS, modes=MODES)

    # -- the submission wizard ------------------------------------------------------------------------------
    @page("GET", "/thu-tuc/<string:code>/nop", kinds=("citizen",))
    def wizard(self, wr, code):
        """Step 1: the applicant's data from the registry (not typed again) and, per document, reuse or upload."""
        prepared = call(self.intake.prepare, code, viewer(wr.principal))
        draft = {}
        if wr.request.args.get("nhap"):
            draft = call(self.intake.get_draft, wr.request.args["nhap"], viewer(wr.principal)).get("body") or {}
        return _wizard_form(wr, prepared, draft, wr.request.args.get("nhap", ""), {})

    @page("POST", "/thu-tuc/<string:code>/nop", kinds=("citizen",))
    def wizard_save(self, wr, code):
        """Step 1 sent: store the uploads, keep the choices as a draft, go to the review."""
        request = wr.request
        if request.content_length and request.content_length > MAX_WIZARD_BYTES:
            raise InvalidInput("too_large", wr.t("Tổng dung lượng tệp vượt quá 40 MB.", "Files exceed 40 MB in total."))
        who = viewer(wr.principal)
        prepared = call(self.intake.prepare, code, who)
        form = request.form
        draft_id = form.get("nhap", "")
        previous = call(self.intake.get_draft, draft_id, who).get("body") or {} if draft_id else {}
        kept = {d["code"]: d for d in previous.get("documents", [])}
        errors: dict[str, str] = {}
        choices = []
        for requirement in prepared["documents"]:
            if requirement.get("kind") != "document":
                continue
            rcode = requirement["code"]
            choice = form.get(f"doc-{rcode}", "")
            upload = request.files.get(f"file-{rcode}")
            held = {d["id"]: d for d in requirement["reusable"]}
            if choice.startswith("reuse:") and choice[6:] in held:
                doc = held[choice[6:]]
                choices.append({"code": rcode, "reuse": doc["id"], "label": doc.get("title") or doc["id"]})
            elif choice == "upload" and upload is not None and upload.filename:
                try:
                    record = receive_upload(self.intake, upload.stream, upload.mimetype or "", None,
                                            upload.filename, who)
                except UploadRefused as exc:  # content refused (type, size, disguised file): say so on the document
                    errors[rcode] = exc.message
                    continue
                choices.append({"code": rcode, "upload": record["id"], "label": record["file_name"]})
            elif choice == "upload" and rcode in kept and kept[rcode].get("upload"):
                choices.append(kept[rcode])  # the file chosen before, when coming back from the review
            else:
                errors[rcode] = wr.t("Chọn giấy tờ đã có hoặc tải tệp lên (PDF, JPEG, PNG).",
                                     "Choose a document you hold or upload a file (PDF, JPEG, PNG).")
        body = {"procedure_code": code,
                "contact": {"email": form.get("email", "").strip()[:200], "phone": form.get("phone", "").strip()[:20]},
                "form": {"noi_dung": form.get("noi_dung", "").strip()[:4000]}, "documents": choices}
        # Kept as a draft even when something is missing: files that did arrive are not asked for again.
        saved = call(self.intake.save_draft, draft_id or None, body, who)
        if errors:
            return _wizard_form(wr, prepared, body, saved["id"], errors, status=422)
        return wr.redirect(f"/ho-so-nhap/{saved['id']}")

    @page("GET", "/ho-so-nhap/<string:draft_id>", kinds=("citizen",))
    def review(self, wr, draft_id):
        """Step 2: check everything before filing."""
        who = viewer(wr.principal)
        draft = call(self.intake.get_draft, draft_id, who)
        body = draft.get("body") or {}
        prepared = call(self.intake.prepare, body.get("procedure_code", ""), who)
        return wr.render("review.html", title=wr.t("Kiểm tra trước khi nộp", "Review before filing"),
                         draft_id=draft_id, body=body, prepared=prepared, step=2)

    @page("POST", "/ho-so-nhap/<string:draft_id>/nop", kinds=("citizen",))
    def submit_draft(self, wr, draft_id):
        """Step 3: file the dossier (once, even if the button is pressed twice) and show its receipt."""
        who = viewer(wr.principal)
        wait = self.web.submit_limit.check("sub:" + wr.principal.subject)
        if wait:
            raise ratelimit.TooManyRequests("too_many_submissions", wr.t(
                "Bạn nộp quá nhiều hồ sơ trong thời gian ngắn, vui lòng thử lại sau.",
                "Too many submissions in a short time; please try again later."), wait)
        # One key per draft: every press of "Nộp hồ sơ" for this draft (a second click, a reload, a retry after
        # a 503 or a dropped connection) is the same filing, filed once (docs/idempotency.md).
        key = web_submission_key(draft_id)
        try:
            body = call(self.intake.get_draft, draft_id, who).get("body") or {}
        except NotFound:
            # Already filed by an earlier press (the filing deleted the draft), perhaps one whose answer was
            # lost: show that dossier, never file a second one.
            try:
                filed = call(self.intake.filed_with_key, key, who)
            except NotFound:
                return wr.redirect("/ho-so?da-nop=1")
            return wr.redirect(f"/ho-so/{filed['code']}?moi=1")
        request = {"procedure_code": body.get("procedure_code", ""), "applicant": {"id_number": wr.principal.subject},
                   "channel": "online", "form": body.get("form") or {}, "draft_id": draft_id,
                   "documents": [{k: v for k, v in d.items() if k in ("code", "reuse", "upload")}
                                 for d in body.get("documents", [])]}
        contact = {k: v for k, v in (body.get("contact") or {}).items() if v}
        if contact:
            request["contact"] = {**contact, "language": wr.lang}
        try:
            result = call(self.intake.submit_dossier, request, who, key, timeout=15)
        except Unavailable as exc:
            # No answer does not mean not filed: offer to press again, which sends the same key (never a
            # second dossier) and shows the dossier if the first press filed it.
            return error_page(wr, 503, exc.message + " " + wr.t(
                "Hồ sơ có thể đã được nộp. Bấm \"Nộp lại\": hồ sơ không bị nộp hai lần.",
                "The dossier may have been filed. Press \"File again\": it is never filed twice."),
                retry_action=f"/ho-so-nhap/{draft_id}/nop")
        return wr.redirect(f"/ho-so/{result['code']}?moi=1")

    # -- my dossiers ----------------------------------------------------------------------------------------
    @page("GET", "/ho-so", kinds=("citizen",))
    def my_dossiers(self, wr):
        """The citizen's dossiers, newest first, with where each one is."""
        listing = call(self.intake.list_dossiers, viewer(wr.principal), 20, wr.request.args.get("truoc") or None)
        procedures = {p["code"]: p for p in call(self.workflow.list_procedures)}
        rows = []
        for item in listing["items"]:
            try:
                status = call(self.workflow.public_status, item["code"], timeout=5)
            except NotFound:
                status = None  # filed, not yet received by workflow
            rows.append({**item, "procedure": procedures.get(item["procedure_code"]), "state": status})
        drafts = [{**d, "procedure": procedures.get(d["procedure_code"])}
                  for d in call(self.intake.list_drafts, viewer(wr.principal))] if not wr.request.args.get("truoc") else []
        return wr.render("my_dossiers.html", title=wr.t("Hồ sơ của tôi", "My dossiers"), rows=rows,
                         next=listing["next"], filed=wr.request.args.get("da-nop"), drafts=drafts)

    @page("GET", "/ho-so/<string:code>", kinds=("citizen", "officer"))
    def dossier_page(self, wr, code):
        """One dossier: status, timeline, due date explained, what to do next (citizen) or the actions the
        officer's roles allow, with the reasons each requires."""
        dossier, case = self._visible_dossier(wr.principal, code)
        procedure = _procedure(self, dossier["procedure_code"], missing_ok=True)
        payment = _optional(lambda: call(self.payment.get_payment, code, timeout=5))
        result = _optional(lambda: call(self.workflow.result_document, code, timeout=5))
        notifications = _optional(lambda: call(self.notify.list_notifications, code, timeout=3)) or []
        supplement = next((h for h in reversed(case["history"]) if h["action"] == "request_supplement"),
                          None) if case else None
        completion = next((h for h in reversed(case["history"]) if h["action"] == "request_completion"),
                          None) if case else None
        return wr.render("dossier.html", title=f"{wr.t('Hồ sơ', 'Dossier')} {code}", d=dossier, case=case,
                         procedure=procedure, payment=payment, result=result, notifications=notifications,
                         supplement=supplement, completion=completion, actions=ACTION_LABELS, roles=ROLE_LABELS, channels=CHANNELS,
                         outcomes=OUTCOMES, note_statuses=NOTIFICATION_STATUSES, note_channels=CHANNEL_NAMES,
                         forms=sorted(FORM_NUMBERS), form_actions=FORM_ACTIONS, form_of=FORM_OF, new=wr.request.args.get("moi"), flash=wr.request.args.get("tb"))

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
                raise InvalidInput("invalid_request", wr.t("Số ngày gia hạn phải là số.",
                                                           "Extra days must be a number.")) from None
        if params:
            body["params"] = params
        upload = wr.request.files.get("file")
        if upload is not None and upload.filename:
            record = receive_upload(self.intake, upload.stream, upload.mimetype or "", None, upload.filename,
                                    viewer(wr.principal))
            body["attachments"] = [{"name": record["file_name"], "sha256": record["sha256"]}]
        # The applicant's completion or supplement answer: one optional file per dossier document, each its next
        # version (services/gateway/actions.py).
        documents = []
        for key, upload in wr.request.files.items(multi=True):
            if key.startswith("file-") and upload is not None and upload.filename:
                record = receive_upload(self.intake, upload.stream, upload.mimetype or "", None, upload.filename,
                                        viewer(wr.principal))
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
            raise InvalidInput("invalid_amount", wr.t("Số tiền hoàn phải là số nguyên dương (đồng).",
                                                      "The amount must be a whole number of đồng."))
        try:
            call(self.payment.refund, code, int(text), form.get("reason", "").strip()[:500], viewer(wr.principal),
                 form.get("txn", "")[:100] or None, timeout=20)
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
        call(self.payment.settle_refund, code, refund_id, form.get("outcome", ""), form.get("note", "").strip()[:1000],
             viewer(wr.principal))
        return wr.redirect(f"/ho-so/{code}?tb=refund_settled")

    @page("POST", "/ho-so/<string:code>/danh-gia", kinds=("citizen",))
    def rate_page(self, wr, code):
        """The citizen's satisfaction rating (1-5) once the result is returned."""
        try:
            score = int(wr.request.form.get("score", ""))
        except ValueError:
            raise InvalidInput("invalid_score", wr.t("Chọn mức đánh giá từ 1 đến 5.",
                                                     "Choose a rating from 1 to 5.")) from None
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
        return attachment(signed_result_path(call(self.workflow.result_document, code)), "application/pdf",
                          f"ket-qua-{code}.pdf")

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

    # -- status by code, without signing in -------------------------------------------------------------------
    @page("GET", "/tra-cuu", public=True)
    def lookup(self, wr):
        """Look up a dossier's status by its code (no personal data is shown)."""
        code = (wr.request.args.get("ma") or "").strip()
        if code:
            return wr.redirect(f"/tra-cuu/{code}")
        return wr.render("lookup.html", title=wr.t("Tra cứu hồ sơ", "Look up a dossier"))


def _procedure(service, code: str, missing_ok: bool = False) -> dict | None:
    found = next((p for p in call(service.workflow.list_procedures) if p["code"] == code), None)
    if found is None and not missing_ok:
        raise NotFound("unknown_procedure", "Không tìm thấy thủ tục.")
    return found


def _optional(fetch):
    """Parts of a page that may be missing (no fee, no result yet, a service down): the page still shows."""
    try:
        return fetch()
    except (NotFound, Conflict, Unavailable, Forbidden):
        return None


def _wizard_form(wr, prepared: dict, body: dict, draft_id: str, errors: dict, status: int = 200):
    chosen = {d["code"]: d for d in body.get("documents", [])}
    return wr.render("wizard.html", http_status=status, title=wr.t("Nộp hồ sơ trực tuyến", "File online"),
                     prepared=prepared, body=body, chosen=chosen, draft_id=draft_id, errors=errors, step=1)


def _ext(media_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        media_type or "", mimetypes.guess_extension(media_type or "") or "")
