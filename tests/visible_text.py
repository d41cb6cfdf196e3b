"""What a reader sees of a page, and the internal codes that must never be part of it (issue #21): every state,
action, history record and role of the process definition, and the gateway's own codes (levels, outcomes,
channels, notification and payment states, document sources, the platform's actors). Used by the unit tests of
the dossier page and by the browser tests (tests/integration/test_web_desk.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import yaml

from services.chassis.config import REPO_ROOT
from services.gateway.web import labels

PROCESS = yaml.safe_load((REPO_ROOT / "services/workflow/data/processes/standard.yaml").read_text("utf-8"))
CODES = (
    set(PROCESS["states"])
    | set(PROCESS["actions"])
    | set(PROCESS["records"])
    | set(PROCESS["roles"])
    | set(labels.LEVELS)
    | set(labels.OUTCOMES)
    | set(labels.CHANNELS)
    | set(labels.CHANNEL_NAMES)
    | set(labels.NOTIFICATION_STATUSES)
    | set(labels.PAYMENT_STATUSES)
    | set(labels.DOCUMENT_SOURCES)
    | set(labels.SYSTEM_ACTORS)
) - {"form"}  # a document source only; "form" is no state, action or role
ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T|\b)")
OLD_TIME = re.compile(r"\b\d{2}:\d{2} \d{2}/\d{2}/\d{4}\b")  # HH:MM dd/mm/yyyy: pages say dd/mm/yyyy HH:mm


def raw_codes(text: str, english: bool = False) -> list[str]:
    """The internal codes in `text` (whole words, case-sensitive: "Zalo" is a name, "zalo" a code). On an English
    page only the codes that are no English word (with `_` or `-`: `awaiting_supplement`, `temporary-failure`)
    count."""
    found = []
    for code in CODES:
        if english and not re.search(r"[_-]", code):
            continue
        if re.search(rf"(?<![\w.@/-]){re.escape(code)}(?![\w-])", text):
            found.append(code)
    return sorted(found)


def bad_times(text: str) -> list[str]:
    """ISO dates and times, and times written HH:MM dd/mm/yyyy, in `text`."""
    return [m.group(0) for pattern in (ISO_TIME, OLD_TIME) for m in pattern.finditer(text)]


BLOCKS = {
    "p", "div", "li", "dt", "dd", "h1", "h2", "h3", "h4", "tr", "td", "th", "section", "br", "ul", "ol",
    "option", "label", "button", "summary", "header", "footer", "main", "nav", "aside", "legend", "a", "time",
}  # fmt: skip


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self.hidden += 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title") and self.hidden:
            self.hidden -= 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text of an HTML page without its tags, attributes, styles and scripts."""
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())
