"""Officer pages: the unit's work queue (filters: status, procedure, due soon, overdue; soonest due first, 50
per page with a cursor), and statistics per unit and level with charts drawn as inline SVG (no script). The
dossier page itself is shared with citizens (routes/dossier_pages.py) and shows the actions the officer's
roles allow."""

from __future__ import annotations

from datetime import date

from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway.routes.document_pages import form_context
from services.gateway.routing import html_response
from services.gateway.web.base import page
from services.gateway.web.labels import LEVELS

QUEUE_PAGE = 50


class OfficerPages:
    @page("GET", "/can-bo", kinds=("officer",))
    def queue_page(self, wr):
        """The unit's queue: dossiers waiting for receipt first (with the time left to answer them, "quá hạn tiếp
        nhận" when it passed), then what to work on next, soonest due first."""
        args = wr.request.args
        words = self.vocabulary.words(self.workflow)
        status = args.get("trang-thai") or None
        if status and words.known and status not in words.statuses():
            raise InvalidInput("invalid_query", wr.t("Trạng thái không hợp lệ.", "Unknown status."))
        due = args.get("han") or None
        if due not in (None, "soon", "overdue"):
            raise InvalidInput("invalid_query", wr.t("Bộ lọc hạn không hợp lệ.", "Unknown due filter."))
        procedure_code = args.get("thu-tuc") or None
        queue = call(
            self.workflow.work_queue,
            wr.principal.unit,
            status,
            procedure_code,
            due,
            QUEUE_PAGE,
            args.get("sau") or None,
        )
        # The receipt queue first (filed, waiting for a receiving officer), unless a filter asks for something else.
        waiting = None
        if not status and not due and not args.get("sau"):
            waiting = call(
                self.workflow.work_queue,
                wr.principal.unit,
                "submitted",
                procedure_code,
                None,
                QUEUE_PAGE,
                None,
            )
        procedures = {p["code"]: p for p in call(self.workflow.list_procedures)}
        agencies = {a["code"]: a for a in call(self.workflow.list_agencies)}
        return wr.render(
            "queue.html",
            title=wr.t("Hồ sơ cần xử lý", "Work queue"),
            queue=queue,
            waiting=waiting,
            procedures=procedures,
            statuses=words.open_statuses(),
            words=words,
            status=status or "",
            due=due or "",
            procedure_code=procedure_code or "",
            unit=agencies.get(wr.principal.unit),
        )

    @page("GET", "/can-bo/so-theo-doi", kinds=("officer",))
    def logbook_page(self, wr):
        """Form 07: the unit's logbook of dossiers, printable."""
        return html_response(
            call(self.workflow.render_logbook, wr.principal.unit, form_context(self, wr.principal))
        )

    @page("GET", "/can-bo/thong-ke", kinds=("officer",))
    def statistics_page(self, wr):
        """Received, finished early / on time / late, on-time rate, in progress, overdue, online share, online
        payment and satisfaction, for the officer's agency and for each administrative level of the province, over
        a month, a quarter, a year or a range of days."""
        args = wr.request.args
        query = {}
        for key, name in (("date_from", "tu-ngay"), ("date_to", "den-ngay")):
            value = args.get(name) or ""
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise InvalidInput(
                        "invalid_query", wr.t("Ngày phải có dạng YYYY-MM-DD.", "Dates are YYYY-MM-DD.")
                    ) from None
                query[key] = value
        if args.get("ky"):
            query["period"] = args["ky"]  # YYYY, YYYY-MM or YYYY-Qn; workflow refuses anything else (422)
        # The officer's unit is an agency code: statistics by agency (a unit filter would take it for an
        # administrative unit code and refuse it).
        unit = call(self.workflow.statistics, {**query, "agency": wr.principal.unit})
        agencies = call(self.workflow.list_agencies)
        levels = sorted(
            {a["level"] for a in agencies}, key=lambda v: list(LEVELS).index(v) if v in LEVELS else 9
        )
        by_level = [(level, call(self.workflow.statistics, {**query, "level": level})) for level in levels]
        me = next((a for a in agencies if a["code"] == wr.principal.unit), None)
        return wr.render(
            "statistics.html",
            title=wr.t("Thống kê", "Statistics"),
            unit=unit,
            agency=me,
            by_level=by_level,
            levels=LEVELS,
            chart=_bars,
            query=query,
            my_code=wr.principal.unit,
        )


def _bars(rows: list[tuple[str, int]], width: int = 320, bar: int = 22) -> dict:
    """Geometry of a horizontal bar chart (the template draws it as SVG with text labels)."""
    top = max([v for _, v in rows] + [1])
    label_w = 150
    scale = (width - label_w - 50) / top
    return {
        "width": width,
        "height": len(rows) * (bar + 8) + 8,
        "label_w": label_w,
        "bars": [
            {
                "label": label,
                "value": value,
                "y": 8 + i * (bar + 8),
                "w": max(int(value * scale), 1),
                "h": bar,
            }
            for i, (label, value) in enumerate(rows)
        ],
    }
