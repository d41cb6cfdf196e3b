"""Load officers into the staff directory from a YAML file, outside the running service:

    python -m services.workflow.staff_import officers.yaml [--reason "Danh sách ban đầu, QĐ 12/QĐ-STP"]

For what no administrator can do through the web yet: the first province administrator of an installation in
directory mode (nobody can sign in before someone is in the directory), or an agency's list at go-live. The file:

    officers:
      - {subject: "a1b2c3", full_name: "Nguyễn Thị Lan", title: "Chuyên viên", unit: "000.00.07.H41",
         roles: [admin], email: "lan@example.vn", valid_from: 2027-01-01, valid_to: null}

Each entry goes through the same use case as an administrator's change (use_cases/staff.py `record`): checked
against the catalogue in force (MOTCUA_ADMIN_MODEL, MOTCUA_CATALOGUE_DIR), audited in the workflow's chain as
`system:import`, StaffMemberChanged written to the outbox (the running service's relay publishes it). Loading the
same file again changes nothing. Exit 1 and the entry's number on the first invalid entry; nothing is written then.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from contextlib import contextmanager

from sqlalchemy.orm import Session

from services.chassis import audit, config
from services.chassis.database import UnitOfWork
from services.chassis.errors import ServiceError
from services.chassis.sql import make_engine
from services.chassis.validation import load as validated
from services.chassis.yamlfile import DataFileError, load_yaml
from services.workflow import schemas
from services.workflow.adapters import storage
from services.workflow.dependencies import Catalogue
from services.workflow.use_cases import staff

BY = "system:import"


@contextmanager
def _unit(engine, key: bytes):
    """The service's unit of work without its container: one transaction, audit entries chained at commit."""
    with Session(engine) as session:
        uow = UnitOfWork(session, storage.metadata, "workflow", "staff-import")
        yield uow
        if uow.audit_entries:
            audit.append(session, key, uow.audit_entries)
        session.commit()


def load(entries: Iterable[dict], reason: str = "", url: str | None = None) -> dict[str, int]:
    """Record every entry (all or nothing); counts by change ("unchanged" for entries already so)."""
    settings = config.load("workflow")
    catalogue = Catalogue()
    catalogue.setup()
    engine = make_engine(url or settings.database_url)
    counts: dict[str, int] = {}
    try:
        with _unit(engine, audit.chain_key(settings.applicant_ref_key)) as uow:
            for number, entry in enumerate(entries, 1):
                try:
                    body = validated(schemas.StaffUpsertRequest, entry)
                    change = staff.record(uow, catalogue, body, BY, reason=reason)["change"]
                except ServiceError as exc:
                    raise ServiceError(
                        exc.code, f"officer {number}: {exc.message} {exc.details or ''}"
                    ) from None
                counts[change or "unchanged"] = counts.get(change or "unchanged", 0) + 1
    finally:
        engine.dispose()
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.workflow.staff_import", description=__doc__)
    parser.add_argument("file", help="YAML file with an `officers` list")
    parser.add_argument("--reason", default="", help="why (kept with each change in the audit chain)")
    args = parser.parse_args(argv)
    try:
        data = load_yaml(args.file) or {}
        officers = data.get("officers") if isinstance(data, dict) else None
        if not isinstance(officers, list):
            raise DataFileError(f"{args.file}: an `officers` list is expected")
        counts = load(officers, args.reason or f"Nhập từ tệp {args.file}")
    except (DataFileError, ServiceError) as exc:
        print(f"staff import refused: {exc}", file=sys.stderr)
        return 1
    print("staff directory: " + ", ".join(f"{n} {change}" for change, n in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
