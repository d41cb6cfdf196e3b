"""HTML from templates, and only from templates (services/gateway/web/templates/): the Jinja environment with
its filters (Vietnam legal time, đồng amounts, dates), and `printable()` for the stand-alone pages the gateway
serves outside the site's layout (the e-receipt, the public status by code, the payment return, the QR
verification page), each with its own inline style."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.wrappers import Response

from services.chassis.clock import legal_text
from services.gateway.routing import html_response

HERE = Path(__file__).parent
DAY_TIME = "%d/%m/%Y %H:%M"


def _localtime(value, fmt: str = DAY_TIME) -> str:
    """A time as Vietnamese readers write it, in Vietnam legal time: `07/12/2026 09:30`; a dash for none."""
    return legal_text(value, fmt) or "—"


def _day(value) -> str:
    """A date as `07/12/2026`: a calendar date as it is, a moment (ISO time) on its day in legal time."""
    if not value:
        return "—"
    text = str(value)
    if len(text) > 10:
        return legal_text(text, "%d/%m/%Y")
    return date.fromisoformat(text).strftime("%d/%m/%Y")


def _vnd(value) -> str:
    return f"{int(value or 0):,}".replace(",", ".") + " đ"


ENV = Environment(
    loader=FileSystemLoader(str(HERE / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["localtime"] = _localtime
ENV.filters["localdate"] = lambda v: _localtime(v, "%d/%m/%Y")
ENV.filters["vnd"] = _vnd
ENV.filters["day"] = _day
ENV.filters["urlquote"] = lambda v: quote(str(v or ""), safe="")
ENV.filters["thousands"] = lambda v: f"{v:,}"  # 1,234,567: the printed receipt's own style


def render(template: str, **context) -> str:
    return ENV.get_template(template).render(**context)


def printable(template: str, status: int = 200, **context) -> Response:
    """A stand-alone page (its own inline style, no script): the strict CSP of printable forms."""
    return html_response(render(template, **context), status)
