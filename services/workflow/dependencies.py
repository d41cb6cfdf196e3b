"""The workflow's own nameko dependency: the catalogue (units, agencies, procedures, process definitions and the
legal clock), loaded and validated once per container, with what a province administrator changes at run time
(calendar corrections, units and agencies, the province's settings, the procedure catalogue's versions) read from
the database before each use.

Settings: MOTCUA_ADMIN_MODEL (2level | 3level: the units file that seeds the territory at first start),
MOTCUA_CATALOGUE_DIR (default: the data/ beside this file), MOTCUA_PROVINCE_CODE (the calendar override, default
NB); the province's settings' defaults (domain/province_settings.py: MOTCUA_CUTOFF, MOTCUA_DUE_SOON_WORKING_DAYS,
MOTCUA_RECEIPT_WORKING_DAYS).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nameko.extensions import DependencyProvider

from services.chassis.clock import legal_day, utcnow
from services.workflow.adapters import catalogue_store, datafiles, settings_store, storage, territory_store
from services.workflow.domain import catalogue, legal_time, province_settings, search, staff, units

# Marks a session whose unit of work checked the catalogue already: one look per transaction is enough.
CHECKED = "motcua.workflow.catalogue_checked"

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
        self.procedures_seen: tuple = (0,)
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
        self.base_territory = self.territory  # the units file: what seeds the database at first start
        self.settings_rows: list[dict] = []
        self.seen: tuple = ()
        self._setup_clock(data_dir)

    def _setup_clock(self, data_dir: Path) -> None:
        calendar = datafiles.load_calendar(
            data_dir / "calendars", os.environ.get("MOTCUA_PROVINCE_CODE", "NB")
        )
        # A province's own cut-off hour, if it decided one (legal_time's docstring: none found in national law); a
        # bad value stops the start, naming the variable.
        try:
            cutoff = province_settings.in_force((), "cutoff", legal_day(utcnow()), os.environ, strict=True)
        except province_settings.SettingRefused as exc:
            raise catalogue.CatalogueError("MOTCUA_CUTOFF", exc.message) from None
        self.base_calendar = calendar
        self.clock = legal_time.LegalClock(calendar, cutoff=cutoff.value)

    def refresh(self, session, force: bool = False) -> None:
        """Take in what was changed at run time (by any replica): calendar corrections, units and agencies, the
        province's settings, the procedure catalogue (use_cases/catalogue_admin.py). One small query (storage.catalogue_mark), once per unit of work; everything is read
        again only when it moved or the legal day changed (names, units and settings take effect from a day).
        The first call on an empty database seeds the territory from the units file."""
        if session.info.get(CHECKED) and not force:
            return
        session.info[CHECKED] = True
        today = legal_day(utcnow())
        mark = storage.catalogue_mark(session)
        if not mark[1]:  # no unit change yet: the territory was never seeded
            base = self.base_territory
            territory_store.seed(session, units.seed_rows(base), base.model, base.levels, utcnow())
            mark = storage.catalogue_mark(session)
        if not force and (mark, today) == self.seen:
            return
        corrections = storage.calendar_corrections_list(session)
        territory = self._stored_territory(session, today)
        rows = settings_store.rows(session)
        cutoff = province_settings.in_force(rows, "cutoff", today, os.environ).value
        clock = legal_time.LegalClock(
            self.base_calendar.corrected(corrections), cutoff=cutoff, end_of_day=self.clock.end_of_day
        )
        procedures, index = self._procedures(session, mark[3:4], territory)
        # Nothing below waits on I/O: other workers of this container see the old catalogue or the new one whole.
        self.territory, self.settings_rows, self.clock, self.seen = territory, rows, clock, (mark, today)
        self.procedures, self.search, self.procedures_seen = procedures, index, mark[3:4]

    def _procedures(self, session, procedures_mark: tuple, territory) -> tuple:
        """The procedures and their search index: read again when the catalogue changed (no change recorded: a
        catalogue never seeded, whose file is the catalogue), indexed again when they or the levels changed."""
        if procedures_mark == self.procedures_seen and territory.levels == self.territory.levels:
            return self.procedures, self.search
        procedures = self.procedures
        if procedures_mark != self.procedures_seen:
            procedures = catalogue_store.loaded(session) if procedures_mark[0] else self.seed
        return procedures, search.CatalogueIndex.build(procedures, territory.levels)

    def _stored_territory(self, session, today) -> catalogue.Territory:
        seeded = territory_store.seeded_model(session) or {}
        model = str(seeded.get("model") or self.base_territory.model)
        levels = tuple(seeded.get("levels") or self.base_territory.levels)
        return units.build_territory(model, levels, *territory_store.load(session), today)

    def setting(self, name: str) -> Any:
        """A province setting's value today: the administrator's (as of the last refresh), else the environment's,
        else the default (domain/province_settings.py)."""
        return province_settings.in_force(self.settings_rows, name, legal_day(utcnow()), os.environ).value

    def kinds(self) -> frozenset[str]:
        """The agency kinds routing knows: those of the agencies, and those the procedures ask for."""
        found = {a.kind for a in self.territory.agencies.values()}
        for procedure in self.procedures.values():
            found |= {procedure.agency_kind, *(str(step["kind"]) for step in procedure.chain)}
        return frozenset(found)

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
