"""Demo citizens for local runs: `python -m services.registry.demo` (idempotent)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from services.chassis import config
from services.chassis.database import make_engine
from services.registry import storage

# Fictitious people; ID numbers follow the structure (province 037 = Ninh Bình, century/sex, birth year).
DEMO_PERSONS = [
    dict(id_number="037090000001", full_name="Nguyễn Văn An", birth_date=date(1990, 3, 12), sex="male",
         address_unit_code="NB.HL.NT", address_line="Số 5, đường Lê Lợi", email="an.nguyen@example.vn",
         phone="0912345601", language="vi"),
    dict(id_number="037185000002", full_name="Trần Thị Bình", birth_date=date(1985, 7, 2), sex="female",
         address_unit_code="NB.HL.DT", address_line="Thôn Đông", email="binh.tran@example.vn",
         phone="0912345602", language="vi"),
    dict(id_number="037201000003", full_name="Lê Minh Châu", birth_date=date(2001, 11, 20), sex="male",
         address_unit_code="NB.YK.YN", address_line="Xóm 3", email="chau.le@example.vn",
         phone="0912345603", language="en"),
    dict(id_number="001178000004", full_name="Phạm Thu Dung", birth_date=date(1978, 1, 30), sex="female",
         address_unit_code="NB.HL.NT", address_line="Ngõ 12", email="dung.pham@example.vn",
         phone="0912345604", language="vi"),
]


def load(url: str | None = None) -> int:
    engine = make_engine(url or config.database_url("registry"))
    with Session(engine) as session, session.begin():
        for person in DEMO_PERSONS:
            storage.upsert_person(session, dict(person))
    engine.dispose()
    return len(DEMO_PERSONS)


if __name__ == "__main__":
    print(f"registry: {load()} demo citizens loaded")
