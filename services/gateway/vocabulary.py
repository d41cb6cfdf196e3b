"""The words of the process definitions, from their one source: workflow's `process_vocabulary()` RPC (states,
actions, roles and history records of every process, in Vietnamese and English). The gateway never lists them
itself: a new action, role or state in a process definition shows on the pages without a change here.

`Vocabulary` is a nameko dependency: one cache per gateway process, read again every REFRESH_SECONDS. When
workflow cannot be reached, the last answer stays in use; before any answer, pages show the codes themselves
(`NO_WORDS`) and the next request tries again after RETRY_SECONDS, never on every request."""

from __future__ import annotations

import time
from typing import Callable

import structlog
from nameko.extensions import DependencyProvider

from services.chassis.rpc import call

REFRESH_SECONDS = 300.0
RETRY_SECONDS = 30.0
TIMEOUT_SECONDS = 3.0

log = structlog.get_logger()


class Words:
    """One answer of `process_vocabulary()`, looked up by code. Every name is a {vi, en} dict (what the pages'
    `name()` shows in the page's language); an unknown code is named by itself."""

    def __init__(self, answer: dict | None):
        answer = answer or {}
        self.known = bool(answer.get("processes"))
        self.processes: dict = answer.get("processes") or {}
        self.roles: dict = answer.get("roles") or {}
        self.records: dict = answer.get("records") or {}

    def _find(self, kind: str, code: str, process: str | None) -> dict | None:
        """`code` among the `kind` ("statuses", "actions") of `process` first, then of any process."""
        ordered = [self.processes[process]] if process in self.processes else []
        for definition in ordered + list(self.processes.values()):
            if code in definition.get(kind, {}):
                return definition[kind][code]
        return None

    def status(self, code: str, process: str | None = None) -> dict:
        return self._find("statuses", code, process) or {"vi": code, "en": code}

    def action(self, name: str, process: str | None = None) -> dict:
        """An action's label, or a history record's (`submit`, `fee_paid`...)."""
        found = self._find("actions", name, process)
        return (found or {}).get("label") or self.records.get(name) or {"vi": name, "en": name}

    def is_action(self, name: str) -> bool:
        return self._find("actions", name, None) is not None

    def action_roles(self, name: str, process: str | None = None) -> list[str]:
        """The roles that may take action `name` (none for a history record or an unknown action)."""
        return list((self._find("actions", name, process) or {}).get("roles") or [])

    def actions_from(self, state: str, process: str | None = None) -> list[tuple[str, list[str]]]:
        """(action, roles) of every action a person (not the platform) may take from `state`, in definition
        order: who the next step of a case belongs to."""
        definition = self.processes.get(process) or next(iter(self.processes.values()), {})
        people = {c for c, r in self.roles.items() if r.get("kind") in ("officer", "citizen")}
        return [
            (name, [r for r in action.get("roles", []) if r in people])
            for name, action in (definition.get("actions") or {}).items()
            if state in action.get("from", []) and people & set(action.get("roles", []))
        ]

    def role(self, code: str) -> dict:
        return self.roles.get(code) or {"vi": code, "en": code}

    def statuses(self) -> list[str]:
        """Every state of every process, in the order the definitions list them."""
        return list(dict.fromkeys(s for p in self.processes.values() for s in p.get("statuses", {})))

    def open_statuses(self) -> list[str]:
        """The states a case can still leave (not terminal): what a work queue is filtered by."""
        terminal = {s for p in self.processes.values() for s in p.get("terminal", [])}
        return [s for s in self.statuses() if s not in terminal]

    def officer_roles(self) -> list[str]:
        """The roles an officer's token may carry, in the order the definitions list them."""
        return [code for code, role in self.roles.items() if role.get("kind") == "officer"]


NO_WORDS = Words(None)


class VocabularyCache:
    """The per-process cache. `words(workflow)` answers from memory while fresh; `workflow` is the calling
    worker's RPC proxy (the cache holds none of its own)."""

    def __init__(
        self,
        refresh: float = REFRESH_SECONDS,
        retry: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.refresh, self.retry, self.clock = refresh, retry, clock
        self._words = NO_WORDS
        self._next_read = 0.0

    def words(self, workflow) -> Words:
        now = self.clock()
        if now < self._next_read:
            return self._words
        try:
            answer = call(workflow.process_vocabulary, timeout=TIMEOUT_SECONDS)
            if not isinstance(answer, dict) or not isinstance(answer.get("processes"), dict):
                raise TypeError(f"not a process vocabulary: {type(answer).__name__}")
        except Exception as exc:  # noqa: BLE001 - the pages show codes (or the last words) rather than fail
            log.warning("process_vocabulary_unavailable", error=type(exc).__name__, stale=self._words.known)
            self._next_read = now + self.retry
            return self._words
        self._words, self._next_read = Words(answer), now + self.refresh
        return self._words


class Vocabulary(DependencyProvider):
    """`self.vocabulary.words(self.workflow)` in a route: the process vocabulary, cached per process."""

    def setup(self):
        self.cache = VocabularyCache()

    def get_dependency(self, worker_ctx):
        return self.cache
