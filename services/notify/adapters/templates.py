"""Notification templates from services/notify/templates/, rendered in Jinja2's sandbox (Vietnamese first).
Which template a change sends, and the subject-line format, are in domain/templates.py."""

from __future__ import annotations

from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from services.notify.domain.sms import without_diacritics
from services.notify.domain.templates import DEFAULT_LANGUAGE, Rendered, split_subject, version_of

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"


class Templates:
    def __init__(self, directory: Path = TEMPLATE_DIR):
        self.directory = directory
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(directory)),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
        )
        self._cache: dict[tuple[str, str], tuple] = {}

    def render(self, name: str, language: str, context: dict) -> Rendered:
        language, subject_template, body_template = self._compiled(name, language)
        subject = subject_template.render(**context)
        body = body_template.render(**context)
        return Rendered(version_of(name), language, subject.strip(), body)

    def render_short(self, name: str, language: str, context: dict, plain: bool = False) -> Rendered:
        """The text message (SMS, Zalo) of a template, from templates/sms/; `plain` drops the diacritics so it
        fits GSM-7 (160 characters a segment instead of 70)."""
        key = ("sms/" + name, language)
        if key not in self._cache:
            chosen = self._language(self.directory / "sms", name, language)
            source = (self.directory / "sms" / f"{name}.{chosen}.txt").read_text(encoding="utf-8").strip()
            self._cache[key] = (chosen, None, self.env.from_string(source))
        chosen, _, template = self._cache[key]
        text = template.render(**context).strip()
        return Rendered(version_of(name, short=True), chosen, "", without_diacritics(text) if plain else text)

    def _compiled(self, name: str, language: str):
        """Templates are compiled once per process (compiling cost more than rendering; measured with
        BENCH_PROFILE). Template files are part of a release, so they do not change while it runs."""
        key = (name, language)
        if key not in self._cache:
            chosen = self._language(self.directory, name, language)
            source = (self.directory / f"{name}.{chosen}.txt").read_text(encoding="utf-8")
            subject, body = split_subject(f"{name}.{chosen}", source)
            self._cache[key] = (chosen, self.env.from_string(subject), self.env.from_string(body))
        return self._cache[key]

    @staticmethod
    def _language(directory: Path, name: str, language: str) -> str:
        return language if (directory / f"{name}.{language}.txt").exists() else DEFAULT_LANGUAGE
