"""Intake's use cases, one function each over a unit of work: submit (submit.py), prepare the form
(prepare.py), drafts (drafts.py), uploads (uploads.py), dossiers as filed (dossiers.py) and their later
documents (documents.py).

Each takes what it needs as arguments (`Ports`, the caller's identity, the loaded request): the entrypoints in
service.py parse, call one of them, and answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.intake.adapters.gateways import Registry, Workflow


@dataclass(frozen=True)
class Ports:
    """What the use cases reach beyond plain data: the database (the worker's chassis Database: `unit()`,
    `autocommit()`, `engine`), the other services, the secret behind applicant references, the log."""

    db: Any
    registry: Registry
    workflow: Workflow
    applicant_ref_key: str
    log: Any
