"""Notification templates: which status sends what, rendered in Jinja2's sandbox (Vietnamese first)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
TEMPLATE_VERSION = 1
# Status a case enters → the template that tells the citizen.
TEMPLATE_FOR_STATUS = {
    "received": "dossier_received",
    "coordination": "dossier_coordination",
}
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

    def render(self, name: str, language: str, context: dict) -> Rendered:
        language = language if (self.directory / f"{name}.{language}.txt").exists() else "vi"
        source = (self.directory / f"{name}.{language}.txt").read_text(encoding="utf-8")
        match = _SUBJECT.match(source)
        if not match:
            raise ValueError(f"template {name}.{language} has no subject line")
        subject = self.env.from_string(match.group(1)).render(**context)
        body = self.env.from_string(source[match.end():]).render(**context)
        return Rendered(f"{name}@{TEMPLATE_VERSION}", language, subject.strip(), body)
