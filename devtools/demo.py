"""Demo citizens and the documents the state holds for them, for local runs and tests:
`python -m devtools.demo` loads them into the registry's database (idempotent). Fictitious: generated for
development, not real people."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis import config
from services.chassis.sql import make_engine
from services.registry.adapters import storage

# Fictitious people; ID numbers follow the structure (province 037 = Ninh Bình, century/sex, birth year).
DEMO_PERSONS = [
    dict(
        id_number="037090000001",
        full_name="Nguyễn Văn An",
        birth_date=date(1990, 3, 12),
        sex="male",
        address_unit_code="NB.HL.NT",
        address_line="Số 5, đường Lê Lợi",
        email="an.nguyen@example.vn",
        phone="0912345601",
        language="vi",
    ),
    dict(
        id_number="037185000002",
        full_name="Trần Thị Bình",
        birth_date=date(1985, 7, 2),
        sex="female",
        address_unit_code="NB.HL.DT",
        address_line="Thôn Đông",
        email="binh.tran@example.vn",
        phone="0912345602",
        language="vi",
    ),
    dict(
        id_number="037201000003",
        full_name="Lê Minh Châu",
        birth_date=date(2001, 11, 20),
        sex="male",
        address_unit_code="NB.YK.YN",
        address_line="Xóm 3",
        email="chau.le@example.vn",
        phone="0912345603",
        language="en",
    ),
    dict(
        id_number="001178000004",
        full_name="Phạm Thu Dung",
        birth_date=date(1978, 1, 30),
        sex="female",
        address_unit_code="NB.HL.NT",
        address_line="Ngõ 12",
        email="dung.pham@example.vn",
        phone="0912345604",
        language="vi",
    ),
]


# Documents the state already holds for demo citizens: reusable instead of uploading again.
DEMO_DOCUMENTS = [
    dict(
        id="8a0d5a2e-0000-4000-8000-000000000001",
        owner_id_number="037090000001",
        doc_type="QSDD",
        title="Giấy chứng nhận quyền sử dụng đất số CS 012345",
        issuer="Sở Tài nguyên và Môi trường tỉnh Ninh Bình",
        number="CS 012345",
        issued_on=date(2019, 5, 14),
        expires_on=None,
        sha256="1" * 64,
        provenance="imported",
        status="valid",
        source_dossier_code=None,
    ),
    dict(
        id="8a0d5a2e-0000-4000-8000-000000000002",
        owner_id_number="037185000002",
        doc_type="GCS",
        title="Giấy chứng sinh",
        issuer="Bệnh viện Đa khoa tỉnh Ninh Bình",
        number="GCS-2026-0042",
        issued_on=date(2026, 11, 2),
        expires_on=None,
        sha256="2" * 64,
        provenance="imported",
        status="valid",
        source_dossier_code=None,
    ),
]


def load(url: str | None = None) -> int:
    settings = config.load("registry")
    engine = make_engine(url or settings.database_url)
    with Session(engine) as session, session.begin():
        for person in DEMO_PERSONS:
            storage.upsert_person(
                session,
                {**person, "ref": storage.person_ref(settings.applicant_ref_key, person["id_number"])},
            )
        for document in DEMO_DOCUMENTS:
            if (
                session.execute(
                    select(storage.documents.c.id).where(storage.documents.c.id == document["id"])
                ).first()
                is None
            ):
                session.execute(
                    storage.documents.insert().values(**document, created_at=datetime.now(timezone.utc))
                )
    engine.dispose()
    return len(DEMO_PERSONS)


if __name__ == "__main__":
    print(f"registry: {load()} demo citizens loaded (fictitious)")
