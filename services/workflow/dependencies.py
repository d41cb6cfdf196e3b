"""The workflow's own nameko dependency: the catalogue (units, agencies, procedures, process definitions and the
legal clock), loaded and validated once per container, with the calendar corrections published at run time.

Settings: MOTCUA_ADMIN_MODEL (2level | 3level), MOTCUA_CATALOGUE_DIR (default: the data/ beside this file),
MOTCUA_PROVINCE_CODE (the calendar override, default NB), MOTCUA_CUTOFF (a province's cut-off hour, HH:MM).
"""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path

from nameko.extensions import DependencyProvider

from services.workflow.adapters import catalogue_store, datafiles, storage
from services.workflow.domain import catalogue, legal_time, search, staff

DATA_DIR = Path(__file__).parent / "data"


class Catalogue(DependencyProvider):
    """Units, agencies, procedures, process definitions and the legal calendar, loaded and validated once
    per container: a bad file stops the service at start with a message naming the file."""

    def setup(self):
        model = os.environ.get("MOTCUA_ADMIN_MODEL", "2level").replace("-", "")
        data_dir = Path(os.environ.get("MOTCUA_CATALOGUE_DIR", str(DATA_DIR)))
        self.territory = datafiles.load_territory(data_dir / f"units-{model}.yaml")
        # The procedures file seeds the catalogue's table at the first start (use_cases/catalogue_admin.py); from
        # then on the table is the catalogue, refreshed before each use.
        self.seed_file = data_dir / "procedures.yaml"
        self.seed = datafiles.load_procedures(self.seed_file)
        self.procedures = self.seed
        self.procedures_seen = (0, 0)
        self.processes = datafiles.load_processes(data_dir / "processes")
        self.officer_roles = frozenset().union(*(p.officer_roles() for p in self.processes.values()))
        # The actions the `act` RPC takes: every process's, but the platform's own (routing).
        self.people_actions = frozenset().union(*(p.people_actions() for p in self.processes.values()))
        for procedure in self.procedures.values():
            if procedure.process not in self.processes:
                raise catalogue.CatalogueError(
                    data_dir / "procedures.yaml", f"{procedure.code}: unknown process {procedure.process!r}"
                )
        self.search = search.CatalogueIndex.build(self.procedures, self.territory.levels)
        calendar = datafiles.load_calendar(
            data_dir / "calendars", os.environ.get("MOTCUA_PROVINCE_CODE", "NB")
        )
        # A province's own cut-off hour, if it decided one (legal_time's docstring: none found in national law).
        cutoff_text = os.environ.get("MOTCUA_CUTOFF", "").strip()
        cutoff = time.fromisoformat(cutoff_text) if cutoff_text else legal_time.DEFAULT_CUTOFF
        self.base_calendar = calendar
        self.corrections_seen: tuple = ()
        self.clock = legal_time.LegalClock(calendar, cutoff=cutoff)

    def refresh(self, session, force: bool = False) -> None:
        """What changed at run time, by any replica, in use here: the calendar corrections in the clock (`force`: a
        new clock anyway; use_cases/calendar.py) and the procedure catalogue (use_cases/catalogue_admin.py). One small
        query; what changed is read again, the rest is kept."""
        corrections_mark, catalogue_mark = catalogue_store.marks(session)
        if force or corrections_mark != self.corrections_seen:
            corrections = storage.calendar_corrections_list(session)
            self.clock = legal_time.LegalClock(
                self.base_calendar.corrected(corrections),
                cutoff=self.clock.cutoff,
                end_of_day=self.clock.end_of_day,
            )
            self.corrections_seen = corrections_mark
        if catalogue_mark != self.procedures_seen:
            # No change recorded: a catalogue never seeded, whose file is the catalogue.
            procedures = catalogue_store.loaded(session) if catalogue_mark[0] else self.seed
            search_index = search.CatalogueIndex.build(procedures, self.territory.levels)
            self.procedures, self.search = procedures, search_index
            self.procedures_seen = catalogue_mark

    def get_dependency(self, worker_ctx):
        return self


class StaffSettings(DependencyProvider):
    """How the staff directory resolves a signing-in officer (domain/staff.py, docs/staff-directory.md), read once
    per container; a bad value stops the service at start, naming the setting.

    STAFF_DIRECTORY_MODE: `directory` (default outside local mode) or `claims` (default in local mode).
    STAFF_ROLE_MAPPING: JSON {"group": "role" | ["role", ...]}: the identity provider's groups as roles.
    STAFF_UNIT_MAPPING: JSON {"group": "agency code"}: the agency of an officer whose token names none.
    """

    def setup(self):
        local = self.container.config["MOTCUA"].is_local
        self.mode = staff.mode_of(os.environ.get("STAFF_DIRECTORY_MODE", ""), local)
        self.mapping = staff.parse_mapping(
            os.environ.get("STAFF_ROLE_MAPPING", ""), os.environ.get("STAFF_UNIT_MAPPING", "")
        )

    def get_dependency(self, worker_ctx):
        return self
