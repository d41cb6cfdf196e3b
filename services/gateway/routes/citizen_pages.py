"""Citizen pages: the procedure catalogue, a procedure, the submission wizard (registry data pre-filled, each
document reused or uploaded, review, submit), "my dossiers", and the public status lookup. One dossier's pages
are in routes/dossier_pages.py. Server-rendered HTML with no script, so it works on any phone and with a
keyboard or a screen reader."""

from __future__ import annotations

from services.chassis.errors import InvalidInput, NotFound, Unavailable
from services.chassis.filestore import UploadRefused
from services.chassis.rpc import call
from services.gateway import ratelimit
from services.gateway.auth import viewer
from services.gateway.files import receive_upload
from services.gateway.web import dossier_view
from services.gateway.web.base import error_page, page
from services.gateway.web.labels import LEVELS, MODES

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
        found = call(
            self.workflow.search_procedures,
            {"q": args.get("q", ""), "level": level or None, "field": field or None, "online": mode or None},
        )
        fields = [f["vi"] for f in found["fields"] if f.get("vi")]
        return wr.render(
            "home.html",
            title=wr.t("Thủ tục hành chính", "Administrative procedures"),
            procedures=found["items"],
            total=found["total"],
            q=args.get("q", ""),
            level=level,
            field=field,
            mode=mode,
            fields=fields,
            levels=LEVELS,
            modes=MODES,
            model_levels=found["levels"],
            model_modes=found["online_modes"],
        )

    @page("GET", "/thu-tuc/<string:code>", public=True)
    def procedure_page(self, wr, code):
        """One procedure: documents, fee, processing time, where it is decided, how it can be filed online."""
        procedure = find_procedure(self, code)
        # Only the levels of the administrative model in force (no district in the 2-level model): the levels the
        # province's agencies sit at.
        model = {a["level"] for a in call(self.workflow.list_agencies, timeout=5)}
        return wr.render(
            "procedure.html",
            title=wr.name(procedure["name"]),
            p=procedure,
            levels=LEVELS,
            modes=MODES,
            deciding=[lv for lv in procedure["competent_levels"] if lv in model][:1],
        )

    # -- the submission wizard ------------------------------------------------------------------------------
    @page("GET", "/thu-tuc/<string:code>/nop", kinds=("citizen",))
    def wizard(self, wr, code):
        """Step 1: the applicant's data from the registry (not typed again) and, per document, reuse or upload."""
        prepared = call(self.intake.prepare, code, viewer(wr.principal))
        draft = {}
        if wr.request.args.get("nhap"):
            draft = (
                call(self.intake.get_draft, wr.request.args["nhap"], viewer(wr.principal)).get("body") or {}
            )
        return _wizard_form(wr, prepared, draft, wr.request.args.get("nhap", ""), {})

    @page("POST", "/thu-tuc/<string:code>/nop", kinds=("citizen",))
    def wizard_save(self, wr, code):
        """Step 1 sent: store the uploads, keep the choices as a draft, go to the review."""
        request = wr.request
        if request.content_length and request.content_length > MAX_WIZARD_BYTES:
            raise InvalidInput(
                "too_large", wr.t("Tổng dung lượng tệp vượt quá 40 MB.", "Files exceed 40 MB in total.")
            )
        who = viewer(wr.principal)
        prepared = call(self.intake.prepare, code, who)
        draft_id = request.form.get("nhap", "")
        previous = call(self.intake.get_draft, draft_id, who).get("body") or {} if draft_id else {}
        choices, errors = _document_choices(self.intake, wr, prepared, previous, who)
        body = _draft_body(code, request.form, choices)
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
        return wr.render(
            "review.html",
            title=wr.t("Kiểm tra trước khi nộp", "Review before filing"),
            draft_id=draft_id,
            body=body,
            prepared=prepared,
            step=2,
        )

    @page("POST", "/ho-so-nhap/<string:draft_id>/nop", kinds=("citizen",))
    def submit_draft(self, wr, draft_id):
        """Step 3: file the dossier (once, even if the button is pressed twice) and show its receipt."""
        who = viewer(wr.principal)
        _refuse_too_many_submissions(self.web, wr)
        # One key per draft: every press of "Nộp hồ sơ" for this draft (a second click, a reload, a retry after
        # a 503 or a dropped connection) is the same filing, filed once (docs/idempotency.md).
        key = web_submission_key(draft_id)
        try:
            body = call(self.intake.get_draft, draft_id, who).get("body") or {}
        except NotFound:
            return _already_filed(self.intake, wr, key, who)
        try:
            result = call(self.intake.submit_dossier, _submission(wr, draft_id, body), who, key, timeout=15)
        except Unavailable as exc:
            # No answer does not mean not filed: offer to press again, which sends the same key (never a
            # second dossier) and shows the dossier if the first press filed it.
            return error_page(
                wr,
                503,
                exc.message
                + " "
                + wr.t(
                    'Hồ sơ có thể đã được nộp. Bấm "Nộp lại": hồ sơ không bị nộp hai lần.',
                    'The dossier may have been filed. Press "File again": it is never filed twice.',
                ),
                retry_action=f"/ho-so-nhap/{draft_id}/nop",
            )
        return wr.redirect(f"/ho-so/{result['code']}?moi=1")

    # -- my dossiers ----------------------------------------------------------------------------------------
    @page("GET", "/ho-so", kinds=("citizen",))
    def my_dossiers(self, wr):
        """The citizen's dossiers, newest first, those waiting for them first (a completion or supplement to
        send, a fee to pay, a returned result to rate), each with what to do, named and linked."""
        listing = call(
            self.intake.list_dossiers, viewer(wr.principal), 20, wr.request.args.get("truoc") or None
        )
        procedures = {p["code"]: p for p in call(self.workflow.list_procedures)}
        rows = [
            {**item, "procedure": procedures.get(item["procedure_code"]), **_where(self, wr, item["code"])}
            for item in listing["items"]
        ]
        drafts = (
            [
                {**d, "procedure": procedures.get(d["procedure_code"])}
                for d in call(self.intake.list_drafts, viewer(wr.principal))
            ]
            if not wr.request.args.get("truoc")
            else []
        )
        return wr.render(
            "my_dossiers.html",
            title=wr.t("Hồ sơ của tôi", "My dossiers"),
            rows=rows,
            next=listing["next"],
            filed=wr.request.args.get("da-nop"),
            drafts=drafts,
        )

    # -- status by code, without signing in -------------------------------------------------------------------
    @page("GET", "/tra-cuu", public=True)
    def lookup(self, wr):
        """Look up a dossier's status by its code (no personal data is shown)."""
        code = (wr.request.args.get("ma") or "").strip()
        if code:
            return wr.redirect(f"/tra-cuu/{code}")
        return wr.render("lookup.html", title=wr.t("Tra cứu hồ sơ", "Look up a dossier"))


def _where(service, wr, code: str) -> dict:
    """Where one of the citizen's dossiers is (`state`, None until workflow opened its case) and what they have to
    do about it (`todo`): the fee is asked of open dossiers only, the rating of returned ones only."""
    try:
        state = call(service.workflow.public_status, code, timeout=5)
    except NotFound:
        return {"state": None, "todo": []}
    status = state["status"]
    payment = None
    if status not in dossier_view.ENDED:
        try:
            payment = call(service.payment.get_payment, code, timeout=5)
        except (NotFound, Unavailable):
            payment = None
    rated = True
    if status == "returned":
        case = call(service.workflow.get_case, code, viewer(wr.principal), timeout=5)
        rated = bool(case.get("rated"))
    return {"state": state, "todo": dossier_view.citizen_todo(wr, code, status, payment, rated)}


def find_procedure(service, code: str, missing_ok: bool = False) -> dict | None:
    found = next((p for p in call(service.workflow.list_procedures) if p["code"] == code), None)
    if found is None and not missing_ok:
        raise NotFound("unknown_procedure", "Không tìm thấy thủ tục.")
    return found


def _document_choices(
    intake, wr, prepared: dict, previous: dict, who: dict
) -> tuple[list[dict], dict[str, str]]:
    """The applicant's choice for each document the procedure asks for (one held, reused; a file uploaded now;
    the file uploaded before), and an error for each document left without one or whose file was refused."""
    kept = {d["code"]: d for d in previous.get("documents", [])}
    errors: dict[str, str] = {}
    choices = []
    for requirement in prepared["documents"]:
        if requirement.get("kind") != "document":
            continue
        rcode = requirement["code"]
        try:
            choice = _document_choice(intake, wr.request, requirement, kept.get(rcode), who)
        except UploadRefused as exc:
            # Content refused (type, size, disguised file): say so on the document.
            errors[rcode] = exc.message
            continue
        if choice is None:
            errors[rcode] = wr.t(
                "Chọn giấy tờ đã có hoặc tải tệp lên (PDF, JPEG, PNG).",
                "Choose a document you hold or upload a file (PDF, JPEG, PNG).",
            )
        else:
            choices.append(choice)
    return choices, errors


def _document_choice(intake, request, requirement: dict, kept: dict | None, who: dict) -> dict | None:
    """One document's choice in the form (`kept`: the draft's choice before), None when there is none."""
    rcode = requirement["code"]
    choice = request.form.get(f"doc-{rcode}", "")
    upload = request.files.get(f"file-{rcode}")
    held = {d["id"]: d for d in requirement["reusable"]}
    if choice.startswith("reuse:") and choice[6:] in held:
        doc = held[choice[6:]]
        return {"code": rcode, "reuse": doc["id"], "label": doc.get("title") or doc["id"]}
    if choice == "upload" and upload is not None and upload.filename:
        record = receive_upload(intake, upload.stream, upload.mimetype or "", None, upload.filename, who)
        return {"code": rcode, "upload": record["id"], "label": record["file_name"]}
    if choice == "upload" and kept and kept.get("upload"):
        return kept  # the file chosen before, when coming back from the review
    return None


def _draft_body(code: str, form, choices: list[dict]) -> dict:
    """The draft the wizard keeps: the procedure, the contact given, the form's text, the documents chosen."""
    return {
        "procedure_code": code,
        "contact": {
            "email": form.get("email", "").strip()[:200],
            "phone": form.get("phone", "").strip()[:20],
        },
        "form": {"noi_dung": form.get("noi_dung", "").strip()[:4000]},
        "documents": choices,
    }


def _refuse_too_many_submissions(web, wr) -> None:
    wait = web.submit_limit.check("sub:" + wr.principal.subject)
    if wait:
        raise ratelimit.TooManyRequests(
            "too_many_submissions",
            wr.t(
                "Bạn nộp quá nhiều hồ sơ trong thời gian ngắn, vui lòng thử lại sau.",
                "Too many submissions in a short time; please try again later.",
            ),
            wait,
        )


def _already_filed(intake, wr, key: str, who: dict):
    """The draft is gone: already filed by an earlier press (the filing deleted the draft), perhaps one whose
    answer was lost. Show that dossier, never file a second one."""
    try:
        filed = call(intake.filed_with_key, key, who)
    except NotFound:
        return wr.redirect("/ho-so?da-nop=1")
    return wr.redirect(f"/ho-so/{filed['code']}?moi=1")


def _submission(wr, draft_id: str, body: dict) -> dict:
    """The submit_dossier request for a draft: online, by the signed-in applicant, with the documents chosen."""
    request = {
        "procedure_code": body.get("procedure_code", ""),
        "applicant": {"id_number": wr.principal.subject},
        "channel": "online",
        "form": body.get("form") or {},
        "draft_id": draft_id,
        "documents": [
            {k: v for k, v in d.items() if k in ("code", "reuse", "upload")}
            for d in body.get("documents", [])
        ],
    }
    contact = {k: v for k, v in (body.get("contact") or {}).items() if v}
    if contact:
        request["contact"] = {**contact, "language": wr.lang}
    return request


def _wizard_form(wr, prepared: dict, body: dict, draft_id: str, errors: dict, status: int = 200):
    chosen = {d["code"]: d for d in body.get("documents", [])}
    return wr.render(
        "wizard.html",
        http_status=status,
        title=wr.t("Nộp hồ sơ trực tuyến", "File online"),
        prepared=prepared,
        body=body,
        chosen=chosen,
        draft_id=draft_id,
        errors=errors,
        step=1,
    )
