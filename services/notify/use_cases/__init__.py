"""Notify's use cases, one function per thing the service does, each over the database's unit of work:
citizens.py (a dossier's news becomes notifications), sending.py (e-mail, retries), phone.py (SMS and Zalo, the
breaker, delivery receipts), outcomes.py (what a send's result records), feeds.py (the event log and webhook
deliveries to agencies), subscriptions.py (agencies manage their subscriptions), reminders.py (officers told of due dates). Rules are in domain/, SQL and
the outside world in adapters/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ports:
    """What a use case may reach, handed over by the entrypoint: the database (`unit()`), the service's chassis
    settings (public URL, sender, Message-ID domain), the mailer, the templates, the intake RPC proxy, the log, the workflow RPC proxy."""

    db: Any
    settings: Any
    mailer: Any = None
    templates: Any = None
    intake: Any = None
    log: Any = None
    workflow: Any = None  # the staff directory (reminders.py)

    @classmethod
    def of(cls, worker: Any) -> Ports:
        """The ports of a NotifyService worker (its dependencies)."""
        return cls(
            worker.db,
            worker.settings,
            worker.mailer,
            worker.templates,
            worker.intake,
            worker.log,
            worker.workflow,
        )
