"""Officers by name for the pages and forms of one request: workflow's staff directory (`staff_get`, `staff_list`;
the contract in the brief of issues #21/#22), each officer asked once per request. While the directory is missing
(an older workflow answers MethodNotFound) or unreachable, a page still shows: an officer is then named by the name
they signed their actions with (the identity provider's, kept in the case history), else by their subject."""

from __future__ import annotations

import structlog
from nameko.exceptions import MethodNotFound, RemoteError

from services.chassis.errors import NotFound, ServiceError
from services.chassis.rpc import call

TIMEOUT_SECONDS = 3.0

log = structlog.get_logger()


class People:
    """One request's view of the staff directory. `officer(subject, signed_by)` → {subject, full_name, title, unit,
    roles, known}; `known` False when the directory does not know them."""

    def __init__(self, workflow):
        self.workflow = workflow
        self.cache: dict[str, dict | None] = {}
        self.staff_cache: dict[str, list[dict]] = {}
        self.signed: dict[str, str] = {}
        self.directory = True

    def remember_signatures(self, history: list[dict]) -> None:
        """The names officers signed their actions with (`params.signed_by`), the fallback for the directory."""
        for entry in history or []:
            name = (entry.get("params") or {}).get("signed_by")
            if name and entry.get("actor"):
                self.signed.setdefault(entry["actor"], str(name))

    def _ask(self, method: str, *args):
        if not self.directory:
            return None
        try:
            return call(getattr(self.workflow, method), *args, timeout=TIMEOUT_SECONDS)
        except NotFound:
            return None  # someone the directory does not know; it still answers for the others
        except (MethodNotFound, RemoteError, ServiceError) as exc:
            # Not deployed yet, or down: names fall back for the rest of this request, the page still shows.
            log.info("staff_directory_unavailable", method=method, error=type(exc).__name__)
            self.directory = False
            return None

    def entry(self, subject: str) -> dict | None:
        """The directory's entry for `subject`, or None."""
        if not subject:
            return None
        if subject not in self.cache:
            found = self._ask("staff_get", subject)
            self.cache[subject] = found if isinstance(found, dict) else None
        return self.cache[subject]

    def officer(self, subject: str, signed_by: str | None = None) -> dict:
        found = self.entry(subject) or {}
        # The name an action was signed with is the one of record for it (names change); the directory's name for
        # the rest, then a name the officer signed another action with, then the subject.
        name = signed_by or found.get("full_name") or self.signed.get(subject) or subject
        return {
            "subject": subject,
            "full_name": name,
            "title": found.get("title") or "",
            "unit": found.get("unit") or "",
            "roles": list(found.get("roles") or []),
            "known": bool(found),
        }

    def staff(self, unit: str | None) -> list[dict]:
        """The officers of `unit` in force today (empty when the directory has nobody or is missing)."""
        if not unit:
            return []
        if unit not in self.staff_cache:
            found = self._ask("staff_list", unit)
            listed = [s for s in found or [] if isinstance(s, dict) and s.get("subject")]
            self.staff_cache[unit] = sorted(listed, key=lambda s: s.get("full_name") or s["subject"])
            for member in listed:
                self.cache.setdefault(member["subject"], member)
        return self.staff_cache[unit]

    def context(self, subjects) -> dict:
        """{subject: {full_name, title}} of these officers as the directory knows them: what printed forms sign
        with. Officers it does not know are left out: each form entry then shows the name its action was signed
        with (an officer's name may have changed between two actions)."""
        known = {s: self.officer(s) for s in subjects if s}
        return {s: {"full_name": o["full_name"], "title": o["title"]} for s, o in known.items() if o["known"]}
