"""One dossier's pages, shared by its applicant and the officers handling it: the dossier (for an officer: organised
by the next step their roles allow, the others after it, refusing and stopping behind a confirmation step; for the
applicant: what they must do now first), the confirmation step, taking an action, paying the fee and the payment
gateway's return page, refunds (leaders), rating. Files and forms: routes/document_pages.py. Server-rendered HTML
with no script."""

from __future__ import annotations

from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from services.chassis.rpc import call
from services.gateway import actions as dossier_actions
from services.gateway import ratelimit
from services.gateway.auth import viewer
from services.gateway.files import receive_upload
from services.gateway.people import People
from services.gateway.routes.citizen_pages import find_procedure
from services.gateway.web import dossier_view as view
from services.gateway.web.base import page
from services.gateway.web.labels import (
    CHANNELS,
    CONFIRM,
    FORM_OF,
    NEXT_HINTS,
    OUTCOMES,
    PAYMENT_STATUSES,
    REFUND_STATUSES,
)


class DossierPages:
    @page("GET", "/ho-so/<string:code>", kinds=("citizen", "officer"))
    def dossier_page(self, wr, code):
        """One dossier: status, timeline, due date explained; for the applicant what to do now, for an officer the
        next step and the other actions their roles allow, with what each requires, and people by name."""
        dossier, case = self._visible_dossier(wr.principal, code)
        shown = _common(self, wr, dossier, case)
        if wr.principal.kind == "officer":
            shown.update(_for_officer(self, wr, dossier, case, shown))
        else:
            shown.update(_for_citizen(self, wr, dossier, case, shown))
        return wr.render("dossier.html", title=f"{wr.t('Hồ sơ', 'Dossier')} {code}", **shown)

    @page("GET", "/ho-so/<string:code>/xac-nhan/<string:action>", kinds=("citizen", "officer"))
    def confirm_page(self, wr, code, action):
        """The confirmation step of an action that ends or refuses a dossier (refusing receipt, rejecting,
        stopping, withdrawing): what follows, and the reason, before anything is done."""
        if action not in CONFIRM:
            raise NotFound("unknown_action", wr.t("Không có bước xác nhận này.", "No such confirmation."))
        dossier, case = self._visible_dossier(wr.principal, code)
        if not case or action not in (case.get("allowed_actions") or []):
            raise Conflict(
                "not_allowed_now",
                wr.t(
                    "Thao tác này không thực hiện được với hồ sơ ở trạng thái hiện tại.",
                    "This action cannot be taken on the dossier as it is now.",
                ),
            )
        procedure = find_procedure(self, dossier["procedure_code"], missing_ok=True)
        words = self.vocabulary.words(self.workflow)
        process = (procedure or {}).get("process")
        return wr.render(
            "confirm.html",
            title=wr.t("Xác nhận", "Confirm") + ": " + wr.name(words.action(action, process)),
            d=dossier,
            case=case,
            procedure=procedure,
            action=action,
            action_name=wr.name(words.action(action, process)),
            consequence=wr.t(*CONFIRM[action]),
            form_number=FORM_OF.get(action),
        )

    @page("POST", "/ho-so/<string:code>/thao-tac", kinds=("citizen", "officer"))
    def dossier_action(self, wr, code):
        """Take an action from the dossier page (officers by role and unit; citizens: answer a supplement
        request, withdraw). Refusing, rejecting, stopping and withdrawing need their confirmation step and a
        reason. The form's one-time key makes a double submit act once."""
        form = wr.request.form
        action = form.get("action", "")
        if action in CONFIRM and form.get("confirmed") != "yes":
            self._visible_dossier(wr.principal, code)  # nothing about a dossier one may not see
            return wr.redirect(f"/ho-so/{code}/xac-nhan/{action}")
        if action in CONFIRM and not form.get("reason", "").strip():
            raise InvalidInput(
                "reason_required",
                wr.t("Cần nêu lý do trước khi xác nhận.", "Give the reason before confirming."),
                {"fields": {"reason": [wr.t("Bắt buộc.", "Required.")]}},
            )
        body = _action_body(self, wr, action)
        dossier_actions.take(self, wr.principal, code, body)
        return wr.redirect(f"/ho-so/{code}?tb={action}")

    @page("POST", "/ho-so/<string:code>/thanh-toan", kinds=("citizen",))
    def pay(self, wr, code):
        """Start paying the fee: a new attempt, then the browser goes to the payment gateway and comes back."""
        call(self.intake.get_dossier, code, viewer(wr.principal))
        started = call(self.payment.start_payment, code, ratelimit.client_address(wr.request))
        return wr.redirect(started["payment_url"])

    @page("GET", "/thanh-toan/ket-qua", public=True)
    def payment_return(self, wr):
        """Where the browser lands after the payment gateway: the outcome only, in the site's layout (the signed
        IPN, not this page, settles the payment)."""
        ok = wr.request.args.get("vnp_ResponseCode") == "00"
        code = wr.request.args.get("vnp_OrderInfo", "").rsplit(" ", 1)[-1]
        return wr.render(
            "payment_return.html",
            title=wr.t("Thanh toán thành công", "Payment made")
            if ok
            else wr.t("Thanh toán chưa thành công", "Payment not made"),
            ok=ok,
            code=code,
        )

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


def optional(fetch):
    """Parts of a page that may be missing (no fee, no result yet, a service down): the page still shows."""
    try:
        return fetch()
    except (NotFound, Conflict, Unavailable, Forbidden):
        return None


def agencies_by_code(service) -> dict:
    return {a["code"]: a for a in optional(lambda: call(service.workflow.list_agencies, timeout=5)) or []}


def _common(service, wr, dossier: dict, case: dict | None) -> dict:
    """What both the applicant and the officers see."""
    code = dossier["code"]
    procedure = find_procedure(service, dossier["procedure_code"], missing_ok=True)
    words = service.vocabulary.words(service.workflow)
    process = (procedure or {}).get("process")
    people = People(service.workflow)
    people.remember_signatures((case or {}).get("history") or [])
    agencies = agencies_by_code(service)
    notes = optional(lambda: call(service.notify.list_notifications, code, timeout=3)) or []
    return {
        "d": dossier,
        "case": case,
        "procedure": procedure,
        "payment": optional(lambda: call(service.payment.get_payment, code, timeout=5)),
        "result": optional(lambda: call(service.workflow.result_document, code, timeout=5)),
        "notifications": view.notifications(wr, notes),
        "words": words,
        "process": process,
        "people": people,
        "agencies": agencies,
        "holder": agencies.get((case or {}).get("agency_code") or dossier["receiving_agency_code"]),
        "plan": view.plan(case),
        "timeline": view.timeline(wr, dossier, case, words, process, people, agencies),
        "documents": view.documents(wr, dossier, procedure),
        "forms": view.forms_offered(wr, case, wr.principal.kind == "officer"),
        "channels": CHANNELS,
        "outcomes": OUTCOMES,
        "payment_statuses": PAYMENT_STATUSES,
        "refund_statuses": REFUND_STATUSES,
        "form_of": FORM_OF,
        "hints": NEXT_HINTS,
        "new": wr.request.args.get("moi"),
        "flash": wr.request.args.get("tb"),
    }


def _for_officer(service, wr, dossier: dict, case: dict | None, shown: dict) -> dict:
    """The desk: who the officer is, who holds the case, whom to assign it to and where to transfer it (by name)."""
    people = shown["people"]
    allowed = set((case or {}).get("allowed_actions") or [])
    staff = people.staff(wr.principal.unit) if "assign" in allowed else []
    targets = []
    if "transfer" in allowed:
        targets = (
            optional(lambda: call(service.workflow.competent_agencies, dossier["code"], timeout=5)) or []
        )
    return {
        "me_officer": people.officer(wr.principal.subject, wr.principal.name),
        "my_roles": [wr.name(shown["words"].role(r)) for r in _in_order(shown["words"], wr.principal.roles)],
        "assignee": people.officer(case["assignee"]) if case and case.get("assignee") else None,
        "staff": staff,
        "targets": targets,
        "waiting_for": view.waiting_for(wr, case, shown["words"], shown["process"]) if not allowed else [],
    }


def _in_order(words, roles) -> list[str]:
    """The officer's roles in the order the process definitions list them (front desk, handler, leader)."""
    known = words.officer_roles()
    return sorted(roles, key=lambda r: known.index(r) if r in known else len(known))


def _for_citizen(service, wr, dossier: dict, case: dict | None, shown: dict) -> dict:
    """The applicant's page: what to do now first, the officers' requests, and who opened their documents."""
    code, history = dossier["code"], (case or {}).get("history") or []
    status = case["status"] if case else None
    reads = optional(lambda: call(service.registry.access_log, wr.principal.subject, timeout=5)) or []
    return {
        "todo": view.citizen_todo(wr, code, status, shown["payment"], bool((case or {}).get("rated"))),
        "supplement": next((h for h in reversed(history) if h["action"] == "request_supplement"), None),
        "completion": next((h for h in reversed(history) if h["action"] == "request_completion"), None),
        "refusal": next((h for h in reversed(history) if h["action"] == "refuse_receipt"), None),
        "reads": [r for r in reads if r.get("dossier_code") == code and r.get("reader")],
    }


def _action_body(service, wr, action: str) -> dict:
    """The `act` request the dossier page's form asks for: reason, parameters, an officer's attachment, and the
    applicant's files for a completion or supplement answer (each the next version of its document)."""
    form = wr.request.form
    body = {"action": action, "client_txn_id": form.get("txn", "")[:80] or None}
    if form.get("reason", "").strip():
        body["reason"] = form["reason"].strip()[:2000]
    params = {k: form[k].strip()[:100] for k in ("assignee", "to_agency") if form.get(k, "").strip()}
    if form.get("extra_days", "").strip():
        try:
            params["extra_days"] = int(form["extra_days"])
        except ValueError:
            raise InvalidInput(
                "invalid_request", wr.t("Số ngày gia hạn phải là số.", "Extra days must be a number.")
            ) from None
    if params:
        body["params"] = params
    who = viewer(wr.principal)
    upload = wr.request.files.get("file")
    if upload is not None and upload.filename:
        record = receive_upload(
            service.intake, upload.stream, upload.mimetype or "", None, upload.filename, who
        )
        body["attachments"] = [{"name": record["file_name"], "sha256": record["sha256"]}]
    documents = []
    for key, upload in wr.request.files.items(multi=True):
        if key.startswith("file-") and upload is not None and upload.filename:
            record = receive_upload(
                service.intake, upload.stream, upload.mimetype or "", None, upload.filename, who
            )
            documents.append({"code": key[5:][:20], "upload": record["id"]})
    if documents:
        body["documents"] = documents
    if body["client_txn_id"] is None:
        body.pop("client_txn_id")
    return body
