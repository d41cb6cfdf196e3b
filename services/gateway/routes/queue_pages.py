"""The officer's worklist page (/can-bo): views with their counts (mine, unassigned, awaiting receipt, due within N
working days, overdue), search by code, applicant name, ID number or phone, filters, pages of a chosen size forward
and back, marks ("sắp đến hạn", "quá hạn"), bulk assignment to an officer of the unit, and the export of the filter
as CSV or XLSX. One path with the API: services/gateway/worklist.py."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway import worklist
from services.gateway.web.base import page

# The page's query parameters (Vietnamese, as the site's other paths) and the API names they stand for.
PARAMS = {
    "xem": "view",
    "tim": "q",
    "trang-thai": "status",
    "thu-tuc": "procedure_code",
    "han": "due",
    "trong": "due_within",
    "co": "limit",
    "sau": "after",
    "truoc": "before",
}
FILTERS = ("xem", "tim", "trang-thai", "thu-tuc", "han", "trong", "co")  # kept by links; cursors are not
VIEW_NAMES = {
    "all": ("Tất cả", "All"),
    "mine": ("Của tôi", "Mine"),
    "unassigned": ("Chưa phân công", "Unassigned"),
    "awaiting_receipt": ("Chờ tiếp nhận", "Awaiting receipt"),
    "due_soon": ("Sắp đến hạn", "Due soon"),
    "overdue": ("Quá hạn", "Overdue"),
}


def _request(wr) -> tuple[dict, dict]:
    """(the request for workflow, the page's own parameters as given)."""
    args = wr.request.args
    given = {name: args.get(name, "") for name in PARAMS if args.get(name)}
    request = worklist.query({PARAMS[k]: v for k, v in given.items()})
    request.setdefault("limit", 50)
    return request, given


def _link(given: dict, **changes) -> str:
    """/can-bo with the page's filters and `changes` (None drops a parameter)."""
    kept = {k: v for k, v in given.items() if k in FILTERS}
    kept.update(changes)
    query = urlencode({k: v for k, v in kept.items() if v not in (None, "")})
    return "/can-bo" + (f"?{query}" if query else "")


def _may_assign(words, principal) -> bool:
    """Whether the officer's roles may take the process's `assign` action (the definition says who)."""
    for process in words.processes.values():
        if set((process.get("actions", {}).get("assign") or {}).get("roles") or []) & set(principal.roles):
            return True
    return not words.known and "leader" in principal.roles  # before workflow's words arrive


def _assignable(words) -> set[str]:
    """The states from which the process's `assign` action may be taken (the rows that get a tick box)."""
    found = set()
    for process in words.processes.values():
        found |= set((process.get("actions", {}).get("assign") or {}).get("from") or [])
    return found


class QueuePages:
    @page("GET", "/can-bo", kinds=("officer",))
    def queue_page(self, wr):
        """The unit's worklist: most urgent first (due date; dossiers waiting for receipt by the time they were
        filed, with the time left to answer them), a view and filters, search, pages, marks, bulk assignment."""
        request, given = _request(wr)
        words = self.vocabulary.words(self.workflow)
        if request.get("status") and words.known and request["status"] not in words.statuses():
            raise InvalidInput("invalid_query", wr.t("Trạng thái không hợp lệ.", "Unknown status."))
        queue = worklist.page(self, wr.principal, request)
        may_assign = _may_assign(words, wr.principal)
        staff = worklist.staff(self, wr.principal.unit) if may_assign else []
        agencies = {a["code"]: a for a in call(self.workflow.list_agencies)}
        return wr.render(
            "queue.html",
            title=wr.t("Hồ sơ cần xử lý", "Work queue"),
            queue=queue,
            procedures={p["code"]: p for p in call(self.workflow.list_procedures)},
            statuses=words.open_statuses(),
            words=words,
            given=given,
            request=request,
            views=VIEW_NAMES,
            link=lambda **changes: _link(given, **changes),
            export=lambda fmt: (
                "/can-bo/xuat?"
                + urlencode({**{k: v for k, v in given.items() if k in FILTERS}, "dinh-dang": fmt})
            ),
            page_sizes=worklist.PAGE_SIZES,
            may_assign=may_assign,
            assignable=_assignable(words),
            staff=staff,
            staff_names={p["subject"]: p.get("full_name") or p["subject"] for p in staff},
            txn=uuid.uuid4().hex,
            unit=agencies.get(wr.principal.unit),
        )

    @page("GET", "/can-bo/xuat", kinds=("officer",))
    def queue_export(self, wr):
        """The filter of the worklist as a file (`dinh-dang`: csv or xlsx), as the page shows it: masked ID
        numbers, no phone."""
        request, _ = _request(wr)
        fmt = wr.request.args.get("dinh-dang") or "csv"
        return worklist.download(self, wr.principal, request, fmt, wr.t, wr.name)

    @page("POST", "/can-bo/phan-cong", kinds=("officer",))
    def queue_assign(self, wr):
        """Assign the dossiers ticked on the worklist to the officer chosen (from the unit's staff, or a user id
        typed when the directory is empty): each by workflow's `assign` action; the answer lists each result."""
        form = wr.request.form
        codes = form.getlist("ho-so")
        assignee = (form.get("can-bo") or form.get("can-bo-khac") or "").strip()
        if not codes:
            raise InvalidInput("invalid_request", wr.t("Chưa chọn hồ sơ nào.", "No dossier was ticked."))
        if not assignee:
            raise InvalidInput("invalid_request", wr.t("Chưa chọn cán bộ.", "No officer was chosen."))
        result = worklist.assign(self, wr.principal, codes, assignee, form.get("txn", "")[:80] or None)
        staff = {p["subject"]: p for p in worklist.staff(self, wr.principal.unit)}
        return wr.render(
            "queue_assigned.html",
            title=wr.t("Kết quả phân công", "Assignment results"),
            result=result,
            officer=staff.get(result["assignee"]),
            back=form.get("quay-lai", "/can-bo")
            if form.get("quay-lai", "").startswith("/can-bo")
            else "/can-bo",
        )
