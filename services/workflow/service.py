"""Workflow service: opens a case for each submitted dossier, routes it, runs its legal clock."""
from __future__ import annotations

import json
import os
from datetime import date, datetime, time, timezone
from pathlib import Path

from motcua.intake.v1.events_pb2 import DossierSubmitted
from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from prometheus_client import Counter

from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.errors import InvalidInput, NotFound
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.workflow import storage
from services.workflow.domain import catalogue, legal_time

DATA_DIR = Path(__file__).parent / "data"
TRANSITIONS = Counter(
    "motcua_workflow_dossier_transitions_total",
    "Dossiers entering a status, by status and administrative level.",
    ["status", "level"],
)


class Catalogue(DependencyProvider):
    """Units, agencies and procedures from data files, loaded and validated once per container."""

    def setup(self):
        model = os.environ.get("MOTCUA_ADMIN_MODEL", "2level").replace("-", "")
        data_dir = Path(os.environ.get("MOTCUA_CATALOGUE_DIR", str(DATA_DIR)))
        self.territory = catalogue.load_territory(data_dir / f"units-{model}.yaml")
        self.procedures = catalogue.load_procedures(data_dir / "procedures.yaml")
        calendar = legal_time.load_calendar(data_dir / "calendars", os.environ.get("MOTCUA_PROVINCE_CODE", "NB"))
        cutoff = time.fromisoformat(os.environ.get("MOTCUA_CUTOFF", "15:00"))
        self.clock = legal_time.LegalClock(calendar, cutoff=cutoff)

    def get_dependency(self, worker_ctx):
        return self


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


class WorkflowService:
    name = "workflow"

    db = Database(storage.metadata)
    catalogue = Catalogue()
    log = LogContext()
    metrics = EntrypointMetrics()

    @rpc
    def list_procedures(self) -> list[dict]:
        """Procedures in force today, with documents, fee and processing time."""
        today = date.today()
        codes = sorted({code for code, _ in self.catalogue.procedures})
        found = (catalogue.in_force(self.catalogue.procedures, code, today) for code in codes)
        return [p.to_dict() for p in found if p is not None]

    @rpc
    def route(self, procedure_code: str, applicant_unit_code: str) -> dict:
        """The procedure version in force and the competent agency for an applicant living in a unit.

        Raises InvalidInput(`unknown_procedure`) or InvalidInput(`unknown_unit`)."""
        procedure = catalogue.in_force(self.catalogue.procedures, procedure_code, date.today())
        if procedure is None:
            raise InvalidInput("unknown_procedure", f"Thủ tục {procedure_code} không tồn tại hoặc chưa có hiệu lực.",
                               {"field": "procedure_code"})
        territory = self.catalogue.territory
        if applicant_unit_code not in territory.units:
            raise InvalidInput("unknown_unit", "Địa chỉ của người nộp không thuộc đơn vị hành chính nào của tỉnh.",
                               {"field": "applicant.address_unit_code"})
        agency = territory.competent_agency(procedure, applicant_unit_code)
        service_centre = next((a for a in territory.agencies.values() if a.kind == "service_centre"), None)
        return {
            "procedure": procedure.to_dict(),
            "agency_code": agency.code if agency else "",
            "agency_name": agency.name if agency else "",
            "level": territory.level_of(agency) if agency else "",
            # Dossiers nobody can route are received by the province's service centre for coordination.
            "receiving_agency_code": agency.code if agency else (service_centre.code if service_centre else "000"),
        }

    @on_event(DossierSubmitted)
    def on_dossier_submitted(self, event):
        """Open the case: receive the dossier (online receipt), start the legal clock, report the status."""
        data = event.data
        procedure = self.catalogue.procedures.get((data.procedure_code, data.procedure_version))
        if procedure is None:
            raise InvalidInput("unknown_procedure_version", f"{data.procedure_code} v{data.procedure_version}")
        territory = self.catalogue.territory
        agency = territory.competent_agency(procedure, data.applicant_unit_code)
        now = datetime.now(timezone.utc)
        status = "received" if agency else "coordination"
        level = territory.level_of(agency) if agency else ""
        due, explanation = None, {}
        if agency:
            deadline = self.catalogue.clock.deadline(now, procedure.processing_days)
            due, explanation = deadline.due_at, deadline.explanation
        with self.db.unit(event) as uow:
            if uow.duplicate or storage.find_case(uow.session, data.dossier_code):
                return
            uow.session.execute(storage.cases.insert().values(
                dossier_code=data.dossier_code, procedure_code=procedure.code,
                procedure_version=procedure.version, agency_code=agency.code if agency else "", level=level,
                receiving_agency_code=data.receiving_agency_code, applicant_unit_code=data.applicant_unit_code,
                applicant_ref=data.applicant_ref, status=status,
                submitted_at=data.submitted_at.ToDatetime(tzinfo=timezone.utc), received_at=now if agency else None,
                due_at=due, due_explanation=json.dumps(explanation, ensure_ascii=False), updated_at=now,
            ))
            storage.append_action(
                uow.session, data.dossier_code, action="receive", from_status="submitted", to_status=status,
                actor="system", unit=agency.code if agency else "", reason="Tiếp nhận trực tuyến", at=now,
            )
            change = {
                "dossier_code": data.dossier_code, "procedure_code": procedure.code,
                "agency_code": agency.code if agency else "", "from_status": "submitted", "to_status": status,
                "action": "receive", "level": level, "actor": "system",
            }
            if due is not None:
                change["due_at"] = _iso(due)
            uow.publish(DossierStatusChanged, change, subject=data.dossier_code)
        TRANSITIONS.labels(status, level or "none").inc()
        self.log.info("case_opened", status=status, agency_code=agency.code if agency else "", level=level)

    @rpc
    def get_case(self, dossier_code: str) -> dict:
        """Status, due date with its explanation, and the action log of a dossier's case."""
        with self.db.unit() as uow:
            case = storage.find_case(uow.session, dossier_code)
            if case is None:
                raise NotFound("case_not_found", "Hồ sơ chưa được tiếp nhận vào quy trình xử lý.")
            actions = storage.history(uow.session, dossier_code)
        return {
            "dossier_code": case["dossier_code"], "status": case["status"], "agency_code": case["agency_code"],
            "level": case["level"], "procedure_code": case["procedure_code"],
            "procedure_version": case["procedure_version"], "received_at": _iso(case["received_at"]),
            "due_at": _iso(case["due_at"]), "due_explanation": json.loads(case["due_explanation"] or "{}"),
            "history": [
                {"seq": a["seq"], "action": a["action"], "from_status": a["from_status"],
                 "to_status": a["to_status"], "actor": a["actor"], "unit": a["unit"], "reason": a["reason"],
                 "at": _iso(a["at"])}
                for a in actions
            ],
        }

    @rpc
    def count_by_status(self) -> dict:
        """How many cases are in each status."""
        with self.db.unit() as uow:
            return storage.count_by_status(uow.session)

    @rpc
    def health(self) -> dict:
        self.db.engine.connect().close()
        return {"status": "ok"}
