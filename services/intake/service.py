"""Intake service: validates and stores dossiers with their codes, and reports them as submitted."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import structlog
from marshmallow import ValidationError
from motcua.intake.v1.events_pb2 import DossierSubmitted
from nameko.rpc import RpcProxy, rpc
from prometheus_client import Counter

from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.errors import Forbidden, InvalidInput, NotFound
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.chassis.rpc import call
from services.intake import storage
from services.intake.dependencies import RouteCache
from services.intake.domain import codes
from services.intake.schemas import SubmitDossierRequest, Viewer

SUBMITTED = Counter(
    "motcua_intake_dossiers_submitted_total", "Dossiers stored with a code, by channel.", ["channel"]
)


def _load(schema, data) -> dict:
    try:
        return schema.load(data if data is not None else {})
    except ValidationError as exc:
        raise InvalidInput("invalid_request", "Dữ liệu gửi lên không hợp lệ.", {"fields": exc.messages}) from None


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class IntakeService:
    name = "intake"

    db = Database(storage.metadata)
    settings = SettingsProvider()
    registry = RpcProxy("registry")
    workflow = RpcProxy("workflow")
    routes = RouteCache()
    log = LogContext()
    metrics = EntrypointMetrics()

    @rpc
    def submit_dossier(self, request: dict, submitter: dict) -> dict:
        """Validate, look up the applicant in the registry, store the dossier with its code, emit
        DossierSubmitted through the outbox. Returns {code, status, submitted_at}.

        A citizen files for themself; an officer at a one-stop desk files for the applicant (channel counter).
        Raises InvalidInput (bad fields, invalid ID number, unknown procedure), NotFound (person), Forbidden."""
        body = _load(SubmitDossierRequest(), request)
        who = _load(Viewer(), submitter)
        id_number = body["applicant"]["id_number"]
        if who["kind"] == "citizen" and who["subject"] != id_number:
            raise Forbidden("not_own_dossier", "Công dân chỉ nộp hồ sơ cho chính mình.")
        if who["kind"] == "agency":
            raise Forbidden("agency_cannot_submit", "Tài khoản cơ quan không nộp hồ sơ thay công dân.")
        # Ask the registry first: the citizen never types what the state holds.
        person = call(self.registry.get_person, id_number)
        route = self.routes.route(body["procedure_code"], person["address_unit_code"],
                                  lambda *args: call(self.workflow.route, *args))
        procedure = route["procedure"]
        contact = body["contact"]
        now = datetime.now(timezone.utc)
        ref = codes.applicant_ref(self.settings.applicant_ref_key, id_number)
        with self.db.unit() as uow:
            agency = route["receiving_agency_code"]
            sequence = storage.next_sequence(uow.session, agency, codes.legal_day(now))
            code = codes.dossier_code(agency, codes.legal_day(now), sequence)
            values = dict(
                code=code, procedure_code=procedure["code"], procedure_version=procedure["version"],
                receiving_agency_code=agency, applicant_id_number=id_number, applicant_ref=ref,
                applicant_name=person["full_name"], applicant_unit_code=person["address_unit_code"],
                contact_email=contact.get("email") or person.get("email") or "",
                contact_phone=contact.get("phone") or person.get("phone") or "",
                language=contact.get("language") or person.get("language") or "vi",
                channel=body["channel"], form_data=json.dumps(body["form"], ensure_ascii=False),
                submitted_by=who["subject"], submitted_at=now,
            )
            uow.session.execute(storage.dossiers.insert().values(**values))
            uow.publish(DossierSubmitted, {
                "dossier_code": code, "procedure_code": procedure["code"],
                "procedure_version": procedure["version"], "receiving_agency_code": agency,
                "applicant_unit_code": values["applicant_unit_code"], "applicant_ref": ref,
                "channel": body["channel"], "submitted_at": _iso(now),
                "contact": {"full_name": values["applicant_name"], "email": values["contact_email"],
                            "phone": values["contact_phone"], "language": values["language"]},
            }, subject=code)
        SUBMITTED.labels(body["channel"]).inc()
        structlog.contextvars.bind_contextvars(dossier_code=code)
        self.log.info("dossier_submitted", procedure_code=procedure["code"], agency_code=agency,
                      channel=body["channel"], applicant=id_number)
        return {"code": code, "status": "submitted", "submitted_at": _iso(now),
                "procedure": {"code": procedure["code"], "version": procedure["version"],
                              "name": procedure["name"]},
                "agency_code": route["agency_code"], "agency_name": route["agency_name"]}

    @rpc
    def get_dossier(self, code: str, viewer: dict) -> dict:
        """The dossier as submitted, if `viewer` may see it (a citizen: their own; an officer: their unit's,
        checked again by the gateway against the case). Unknown and not-yours look the same (NotFound)."""
        who = _load(Viewer(), viewer)
        with self.db.unit() as uow:
            dossier = storage.find_dossier(uow.session, code)
        if dossier is None or (who["kind"] == "citizen" and dossier["applicant_id_number"] != who["subject"]):
            raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        return {
            "code": dossier["code"], "procedure_code": dossier["procedure_code"],
            "procedure_version": dossier["procedure_version"],
            "receiving_agency_code": dossier["receiving_agency_code"],
            "applicant": {"id_number": dossier["applicant_id_number"], "full_name": dossier["applicant_name"],
                          "address_unit_code": dossier["applicant_unit_code"]},
            "contact": {"email": dossier["contact_email"], "phone": dossier["contact_phone"],
                        "language": dossier["language"]},
            "channel": dossier["channel"], "form": json.loads(dossier["form_data"]),
            "submitted_at": _iso(dossier["submitted_at"]),
        }

    @rpc
    def get_contact(self, code: str) -> dict:
        """How to reach the applicant of a dossier (for notify, when it missed DossierSubmitted)."""
        with self.db.unit() as uow:
            dossier = storage.find_dossier(uow.session, code)
        if dossier is None:
            raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        return {"full_name": dossier["applicant_name"], "email": dossier["contact_email"],
                "phone": dossier["contact_phone"], "language": dossier["language"]}

    @rpc
    def health(self) -> dict:
        self.db.engine.connect().close()
        return {"status": "ok"}
