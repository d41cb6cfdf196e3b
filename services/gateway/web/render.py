"""HTML from templates, and only from templates (services/gateway/web/templates/): the Jinja environment with
its filters (Vietnam legal time, đồng amounts, dates), and `printable()` for the stand-alone pages the gateway
serves outside the site's layout (the e-receipt, the public status by code, the payment return, the QR
verification page), each with its own inline style."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.wrappers import Response

from services.chassis.clock import LEGAL_TZ
from services.gateway.routing import html_response

HERE = Path(__file__).parent


def _localtime(value, fmt: str = "%H:%M %d/%m/%Y") -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(LEGAL_TZ).strftime(fmt)


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
ENV.filters["day"] = lambda v: date.fromisoformat(str(v)[:10]).strftime("%d/%m/%Y") if v else "—"
ENV.filters["urlquote"] = lambda v: quote(str(v or ""), safe="")
ENV.filters["thousands"] = lambda v: f"{v:,}"  # 1,234,567: the printed receipt's own style


def render(template: str, **context) -> str:
    return ENV.get_template(template).render(**context)


def printable(template: str, status: int = 200, **context) -> Response:
    """A stand-alone page (its own inline style, no script): the strict CSP of printable forms."""
    return html_response(render(template, **context), status)
