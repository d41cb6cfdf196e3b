"""Registry service: who a person is, from the data the state already holds."""
from __future__ import annotations

from nameko.rpc import rpc

from services.chassis.database import Database
from services.chassis.errors import InvalidInput, NotFound
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.registry import storage
from services.registry.domain.identity import InvalidIdNumber, check_id_number


class RegistryService:
    name = "registry"

    db = Database(storage.metadata)
    log = LogContext()
    metrics = EntrypointMetrics()

    @rpc
    def get_person(self, id_number: str) -> dict:
        """The person with this ID number: name, birth date, sex, address unit, contact.

        Raises InvalidInput(`invalid_id_number`) for a malformed number and NotFound(`person_not_found`)."""
        try:
            info = check_id_number(id_number)
        except InvalidIdNumber as exc:
            raise InvalidInput("invalid_id_number", exc.message, {"field": "applicant.id_number",
                                                                   "reason": exc.reason}) from None
        with self.db.unit() as uow:
            person = storage.find_person(uow.session, id_number)
        if person is None:
            raise NotFound("person_not_found", "Không tìm thấy công dân trong cơ sở dữ liệu.",
                           {"field": "applicant.id_number"})
        person["birth_date"] = person["birth_date"].isoformat()
        person["province_of_birth_code"] = info.province_code
        return person

    @rpc
    def health(self) -> dict:
        """Database reachable."""
        self.db.engine.connect().close()
        return {"status": "ok"}
