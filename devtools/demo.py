"""Demo citizens and the documents the state holds for them, and demo officers of the demo agencies, for local
runs and tests: `python -m devtools.demo` loads the citizens into the registry's database and the officers into
the workflow's staff directory (both idempotent). Fictitious: generated for development, not real people; the
officers say so in their title, their subjects start with `demo.` and their e-mail addresses are example.vn."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chassis import config
from services.chassis.sql import make_engine
from services.registry.adapters import storage
from services.workflow import staff_import
from services.workflow.dependencies import Catalogue

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


GENERATED = " (dữ liệu mẫu)"
GENERATED_REASON = "Dữ liệu mẫu tạo cho môi trường phát triển (devtools/demo.py), không phải người thật"


def _officer(subject: str, full_name: str, title: str, unit: str, *roles: str) -> dict:
    return {
        "subject": f"demo.{subject}",
        "full_name": full_name,
        "title": title + GENERATED,
        "unit": unit,
        "roles": list(roles),
        "email": f"{subject}@example.vn",
    }


# Fictitious officers: the province's administrator in the Department of Justice (Sở Tư pháp), and for each demo
# agency a front-desk officer, a handler and a leader. Agencies the administrative model in force lacks (the
# 3-level model's district committees, the 2-level model's new communes) are skipped at load.
DEMO_OFFICERS = [
    _officer("stp.quantri", "Đỗ Minh Quân", "Quản trị hệ thống, Văn phòng Sở", "000.00.07.H41", "admin"),
    _officer("stp.motcua", "Hoàng Thị Mai", "Chuyên viên Bộ phận Một cửa", "000.00.07.H41", "receiver"),
    _officer(
        "stp.chuyenvien", "Vũ Đức Long", "Chuyên viên Phòng Hành chính tư pháp", "000.00.07.H41", "handler"
    ),
    _officer("stp.lanhdao", "Nguyễn Thị Hạnh", "Phó Giám đốc Sở", "000.00.07.H41", "leader"),
    _officer("sxd.motcua", "Phan Văn Bình", "Chuyên viên Bộ phận Một cửa", "000.00.18.H41", "receiver"),
    _officer(
        "sxd.chuyenvien", "Lý Thị Thu", "Chuyên viên Phòng Quản lý xây dựng", "000.00.18.H41", "handler"
    ),
    _officer("sxd.lanhdao", "Trịnh Quốc Huy", "Phó Giám đốc Sở", "000.00.18.H41", "leader"),
    _officer("vpdk.motcua", "Bùi Thị Ngọc", "Viên chức tiếp nhận hồ sơ", "000.00.22.H41", "receiver"),
    _officer(
        "vpdk.chuyenvien", "Đặng Văn Khoa", "Viên chức Phòng Đăng ký và cấp giấy", "000.00.22.H41", "handler"
    ),
    _officer("vpdk.lanhdao", "Mai Thị Yến", "Giám đốc Văn phòng", "000.00.22.H41", "leader"),
    _officer(
        "ttpvhcc.motcua",
        "Cao Thị Lan",
        "Công chức Trung tâm Phục vụ hành chính công",
        "000.00.29.H41",
        "receiver",
    ),
    _officer(
        "hoalu.motcua",
        "Đinh Văn Sơn",
        "Công chức Văn phòng – Thống kê",
        "000.31.01.H41",
        "receiver",
        "handler",
    ),
    _officer("hoalu.lanhdao", "Lưu Thị Hoa", "Phó Chủ tịch UBND phường", "000.31.01.H41", "leader"),
    _officer(
        "ninhgiang.motcua",
        "Tạ Văn Hùng",
        "Công chức Tư pháp – Hộ tịch",
        "000.31.02.H41",
        "receiver",
        "handler",
    ),
    _officer("ninhgiang.lanhdao", "Kiều Thị Nga", "Chủ tịch UBND xã", "000.31.02.H41", "leader"),
    _officer(
        "yenkhanh.motcua",
        "Hà Văn Phúc",
        "Công chức Tư pháp – Hộ tịch",
        "000.32.01.H41",
        "receiver",
        "handler",
    ),
    _officer("yenkhanh.lanhdao", "Quách Thị Duyên", "Chủ tịch UBND xã", "000.32.01.H41", "leader"),
    _officer(
        "hoalu3.motcua",
        "Đinh Văn Sơn",
        "Công chức Văn phòng – Thống kê",
        "000.20.31.H41",
        "receiver",
        "handler",
    ),
    _officer("tphoalu.lanhdao", "Ngô Văn Thành", "Phó Chủ tịch UBND thành phố", "000.20.00.H41", "leader"),
]


def load_officers(url: str | None = None) -> dict[str, int]:
    """The demo officers of the agencies the catalogue in force holds, into the workflow's staff directory."""
    catalogue = Catalogue()
    catalogue.setup()
    known = [o for o in DEMO_OFFICERS if o["unit"] in catalogue.territory.agencies]
    return staff_import.load(known, GENERATED_REASON, url=url)


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
    officers = load_officers()
    print(f"workflow: {sum(officers.values())} demo officers in the staff directory (fictitious): {officers}")
