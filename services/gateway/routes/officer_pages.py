"""Officer pages: the unit's logbook (Form 07) and statistics per unit and level with charts drawn as inline SVG
(no script). The worklist is routes/queue_pages.py; the dossier page itself is shared with citizens
(routes/dossier_pages.py) and shows the actions the officer's roles allow."""

from __future__ import annotations

from datetime import date

from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway.routes.document_pages import form_context
from services.gateway.routing import html_response
from services.gateway.web.base import page
from services.gateway.web.labels import LEVELS


class OfficerPages:
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
