"""Notification templates: which status sends what, rendered in Jinja2's sandbox (Vietnamese first)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from services.notify.domain.sms import without_diacritics

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE_VERSION = 1
# Status a case enters → the template that tells the citizen.
TEMPLATE_FOR_STATUS = {
    "received": "dossier_received",
    "coordination": "dossier_coordination",
    "awaiting_supplement": "dossier_supplement_requested",
    "awaiting_completion": "dossier_completion_requested",  # Form 02 before receipt (Decree 118/2025)
    "result_ready": "dossier_result_ready",
    "refused": "dossier_refused",
}
# Actions that tell the citizen something without changing the status.
TEMPLATE_FOR_ACTION = {"extend_with_apology": "dossier_delayed"}


def template_for(action: str, from_status: str, to_status: str) -> str | None:
    if action in TEMPLATE_FOR_ACTION:
        return TEMPLATE_FOR_ACTION[action]
    if from_status == to_status:
        return None  # a step inside a status (assign, process step, transfer) is not news for the citizen
    return TEMPLATE_FOR_STATUS.get(to_status)
_SUBJECT = re.compile(r"^\{#\s*subject:\s*(.+?)\s*#\}\s*\n")


@dataclass(frozen=True)
class Rendered:
    template: str
    language: str
    subject: str
    body: str


class Templates:
    def __init__(self, directory: Path = TEMPLATE_DIR):
        self.directory = directory
        self.env = SandboxedEnvironment(loader=FileSystemLoader(str(directory)), undefined=StrictUndefined,
                                        autoescape=False, keep_trailing_newline=True)
        self._cache: dict[tuple[str, str], tuple] = {}

    def render(self, name: str, language: str, context: dict) -> Rendered:
        language, subject_template, body_template = self._compiled(name, language)
        subject = subject_template.render(**context)
        body = body_template.render(**context)
        return Rendered(f"{name}@{TEMPLATE_VERSION}", language, subject.strip(), body)

    def render_short(self, name: str, language: str, context: dict, plain: bool = False) -> Rendered:
        """The text message (SMS, Zalo) of a template, from templates/sms/; `plain` drops the diacritics so it
        fits GSM-7 (160 characters a segment instead of 70)."""
        key = ("sms/" + name, language)
        if key not in self._cache:
            chosen = language if (self.directory / "sms" / f"{name}.{language}.txt").exists() else "vi"
            source = (self.directory / "sms" / f"{name}.{chosen}.txt").read_text(encoding="utf-8").strip()
            self._cache[key] = (chosen, None, self.env.from_string(source))
        chosen, _, template = self._cache[key]
        text = template.render(**context).strip()
        return Rendered(f"{name}.sms@{TEMPLATE_VERSION}", chosen, "", without_diacritics(text) if plain else text)

    def _compiled(self, name: str, language: str):
        """Templates are compiled once per process (compiling cost more than rendering; measured with
        BENCH_PROFILE). Template files are part of a release, so they do not change while it runs."""
        key = (name, language)
        if key not in self._cache:
            chosen = language if (self.directory / f"{name}.{language}.txt").exists() else "vi"
            source = (self.directory / f"{name}.{chosen}.txt").read_text(encoding="utf-8")
            match = _SUBJECT.match(source)
            if not match:
                raise ValueError(f"template {name}.{chosen} has no subject line")
            self._cache[key] = (chosen, self.env.from_string(match.group(1)),
                                self.env.from_string(source[match.end():]))
        return self._cache[key]
