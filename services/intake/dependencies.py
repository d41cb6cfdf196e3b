"""Intake's own dependency providers."""

from __future__ import annotations

import time

from nameko.extensions import DependencyProvider

from services.chassis.errors import Unavailable


class RouteCache(DependencyProvider):
    """Routing answers from workflow (procedure version in force, competent and receiving agency), asked every
    time and kept: when workflow cannot answer, the last answer is served for up to a day, so citizens can keep
    filing while the workflow service restarts. Refusals (unknown procedure) are never cached. Never served while
    workflow answers: a province administrator publishes a procedure's new version at run time, and the next
    filing must get it (issue #22; the route is one in-memory look-up in workflow)."""

    fresh_seconds = 0
    stale_seconds = 24 * 3600

    def setup(self):
        self._entries: dict[tuple[str, str], tuple[float, dict]] = {}

    def get_dependency(self, worker_ctx):
        return self

    def route(self, procedure_code: str, unit_code: str, fetch) -> dict:
        key = (procedure_code, unit_code)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry and now - entry[0] < self.fresh_seconds:
            return entry[1]
        try:
            answer = fetch(procedure_code, unit_code)
        except Unavailable:
            if entry and now - entry[0] < self.stale_seconds:
                return entry[1]
            raise
        self._entries[key] = (now, answer)
        return answer
