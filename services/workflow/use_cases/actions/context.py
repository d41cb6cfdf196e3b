"""What an action handler works with: the case as it was, the action's definition, who acts and with what, and
the changes it makes (columns of the case to write, the agency handed to, whether the due date moves)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.chassis.errors import InvalidInput
from services.workflow.domain.process import Action
from services.workflow.use_cases import steps


@dataclass
class ActionContext:
    uow: Any  # services.chassis.database.UnitOfWork
    catalogue: Any  # services.workflow.dependencies.Catalogue
    case: dict  # the case row before the action
    action: Action  # its definition in the case's process
    actor: dict
    params: dict
    reason: str
    now: datetime
    fresh: bool = False  # the case was opened in this transaction: no pauses, no steps but the one opened
    signing: Any = None  # services.workflow.adapters.signing.ResultSigning, or None: results issued unsigned
    changes: dict = field(default_factory=dict)  # columns of the case to write
    to_agency: str = ""  # the agency the case was handed to, said on the status event
    recompute: bool = False  # the due date changes: the clock started, resumed or was extended

    @property
    def session(self):
        return self.uow.session

    @property
    def code(self) -> str:
        return self.case["dossier_code"]

    @property
    def procedure(self):
        return self.catalogue.procedures[(self.case["procedure_code"], self.case["procedure_version"])]

    @property
    def updated(self) -> dict:
        """The case row as it is after the changes."""
        return {**self.case, **self.changes}

    def agency(self, code: str):
        """The agency `code` of the catalogue; InvalidInput when there is none."""
        agency = self.catalogue.territory.agencies.get(code)
        if agency is None:
            raise InvalidInput(
                "unknown_agency", f"Cơ quan {code} không tồn tại.", {"field": "params.to_agency"}
            )
        return agency

    def open_step(self, agency: str, level: str, budget: int, seq: int) -> None:
        steps.open_step(self.session, self.catalogue.clock, self.code, agency, level, budget, seq, self.now)

    def close_step(self, handed_to: str = "") -> None:
        steps.close_step(self.session, self.catalogue.clock, self.code, handed_to, self.now)
