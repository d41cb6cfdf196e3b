"""Generated data at a province's size, for tests and benchmarks: `make demo-data SCALE=small|province`.

    python -m devtools.demo_data --scale province [--out var/demo-data/province] [--seed 22] [--replace]

Writes, deterministically for a seed:
- `<out>/catalogue/`: a catalogue directory for MOTCUA_CATALOGUE_DIR. `units-2level.yaml` is the REAL Ninh Bình
  file (services/workflow/data/provinces/ninh-binh-2025.yaml, sources in its header) with one GENERATED agency
  appended (marked); `procedures.yaml` is GENERATED (codes `GEN-…`, names prefixed `[Dữ liệu sinh]`);
  `processes/` and `calendars/` are copies of the platform's.
- `<out>/officers.json`: GENERATED officers in the staff directory's format (docs/demo-data.md).
- dossiers, straight into the services' databases (DATABASE_URL, as every service reads it): intake's dossiers
  and daily numbers, workflow's cases, steps, clock stops and action log, payment's fee requests. PostgreSQL is
  written with COPY, anything else (SQLite) with batched inserts. The tables written must be empty (--replace
  empties them first).

Nothing generated may pass for real: names carry GENERATED_MARK, procedure codes GENERATED_CODE_PREFIX,
applicants' ID numbers start with GENERATED_ID_PREFIX (no province has code 000: the registry refuses such a
number as invalid, so it can never be a person's), phones with 000 and e-mails end in the reserved .invalid.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from random import Random

import yaml

from services.chassis.config import REPO_ROOT

GENERATED_MARK = "[Dữ liệu sinh]"
GENERATED_CODE_PREFIX = "GEN-"
GENERATED_ID_PREFIX = "000"
GENERATED_PHONE_PREFIX = "000"
EMAIL_DOMAIN = "example.invalid"
OFFICER_PREFIX = "gen-officer-"
START = date(2025, 7, 1)  # the 2-level model's first day: every generated dossier is filed on or after it
DATA = REPO_ROOT / "services" / "workflow" / "data"
PROVINCE_FILE = DATA / "provinces" / "ninh-binh-2025.yaml"
LAND_REGISTRY = "GEN.NB37.VPDKDD"  # the one generated agency: chained land procedures need a land registry


@dataclass(frozen=True)
class Scale:
    procedures: int
    officers: int
    dossiers: int


SCALES = {
    "small": Scale(procedures=40, officers=60, dossiers=3_000),
    "province": Scale(procedures=2_000, officers=500, dossiers=1_000_000),
}

# Fields of the catalogue with the province department that decides their province-level procedures (the agency
# kinds of ninh-binh-2025.yaml). Field names are ordinary words, not taken from any catalogue.
FIELDS = [
    ({"vi": "Hộ tịch", "en": "Civil status"}, "justice"),
    ({"vi": "Chứng thực", "en": "Certification"}, "justice"),
    ({"vi": "Lý lịch tư pháp", "en": "Judicial records"}, "justice"),
    ({"vi": "Đất đai", "en": "Land"}, "agriculture_environment"),
    ({"vi": "Môi trường", "en": "Environment"}, "agriculture_environment"),
    ({"vi": "Nông nghiệp", "en": "Agriculture"}, "agriculture_environment"),
    ({"vi": "Xây dựng", "en": "Construction"}, "construction"),
    ({"vi": "Giao thông", "en": "Transport"}, "construction"),
    ({"vi": "Đầu tư", "en": "Investment"}, "finance"),
    ({"vi": "Hộ kinh doanh", "en": "Household businesses"}, "finance"),
    ({"vi": "Thương mại", "en": "Trade"}, "industry_trade"),
    ({"vi": "Công nghiệp", "en": "Industry"}, "industry_trade"),
    ({"vi": "Y tế", "en": "Health"}, "health"),
    ({"vi": "Giáo dục", "en": "Education"}, "education_training"),
    ({"vi": "Văn hóa", "en": "Culture"}, "culture_sports_tourism"),
    ({"vi": "Du lịch", "en": "Tourism"}, "culture_sports_tourism"),
    ({"vi": "Khoa học", "en": "Science"}, "science_technology"),
    ({"vi": "Nội vụ", "en": "Home affairs"}, "home_affairs"),
    ({"vi": "Lao động", "en": "Labour"}, "home_affairs"),
    ({"vi": "Thi đua, khen thưởng", "en": "Awards"}, "home_affairs"),
]
VERBS = [
    "Cấp",
    "Cấp lại",
    "Cấp đổi",
    "Đăng ký",
    "Điều chỉnh",
    "Gia hạn",
    "Xác nhận",
    "Thẩm định",
    "Công nhận",
]
OBJECTS = ["giấy phép", "giấy chứng nhận", "văn bản chấp thuận", "quyết định", "hồ sơ", "giấy xác nhận"]
DOCUMENTS = [
    ("TK", "form", "Tờ khai"),
    ("DDN", "form", "Đơn đề nghị"),
    ("BS", "document", "Bản sao giấy tờ"),
    ("BV", "document", "Bản vẽ"),
    ("HD", "document", "Hợp đồng"),
    ("XN", "document", "Giấy xác nhận"),
]
FEES = [20_000, 50_000, 100_000, 200_000, 500_000]
DAYS = [1, 3, 5, 7, 10, 15, 20, 30]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Minh", "Đức", "Thu", "Quang", "Ngọc", "Hữu", "Thanh", "Xuân"]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hoa",
    "Hùng",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Phương",
]


def generated_name(rng: Random) -> str:
    return f"{GENERATED_MARK} {rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


# -- catalogue ---------------------------------------------------------------------------------------------------
def write_catalogue(out: Path, count: int, rng: Random) -> list[dict]:
    """The catalogue directory: the real province with the generated agency, generated procedures, copies of
    the process definitions and calendars. Returns the procedures written."""
    catalogue = out / "catalogue"
    shutil.rmtree(catalogue, ignore_errors=True)
    catalogue.mkdir(parents=True)
    units = PROVINCE_FILE.read_text(encoding="utf-8")
    units += (
        "  # GENERATED by devtools/demo_data.py (not part of the real data above; no source): a land registry\n"
        "  # office for the generated chained land procedures.\n"
        f'  - {{code: {LAND_REGISTRY}, name: "{GENERATED_MARK} Văn phòng Đăng ký đất đai tỉnh Ninh Bình", '
        'unit: "37", kind: land_registry}\n'
    )
    (catalogue / "units-2level.yaml").write_text(units, encoding="utf-8")
    procedures = [_procedure(i, rng) for i in range(1, count + 1)]
    header = (
        "# GENERATED by devtools/demo_data.py for tests and benchmarks: NOT real procedures. Codes start with\n"
        f"# {GENERATED_CODE_PREFIX}, names with {GENERATED_MARK}; processing times, fees and documents are made up.\n"
    )
    body = yaml.safe_dump({"procedures": procedures}, allow_unicode=True, sort_keys=False, width=200)
    (catalogue / "procedures.yaml").write_text(header + body, encoding="utf-8")
    shutil.copytree(DATA / "processes", catalogue / "processes")
    shutil.copytree(DATA / "calendars", catalogue / "calendars")
    return procedures


def _procedure(i: int, rng: Random) -> dict:
    """The i-th generated procedure: a field, a level (commune for six in ten), a few of them chained."""
    field, kind = FIELDS[rng.randrange(len(FIELDS))]
    days = rng.choice(DAYS)
    commune = rng.random() < 0.6
    name = f"{GENERATED_MARK} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {field['vi'].lower()} số {i}"
    procedure = {
        "code": f"{GENERATED_CODE_PREFIX}{1 + i // 100_000}.{i:06d}",
        "version": 1,
        "valid_from": START.isoformat(),
        "name": {"vi": name, "en": f"{GENERATED_MARK} Generated procedure {i}"},
        "field": field,
        "competent_levels": ["commune"] if commune else ["province"],
        "agency_kind": "people_committee" if commune else kind,
        "online_mode": "full" if rng.random() < 0.55 else "partial",
        "processing_days": days,
        "fee_vnd": 0 if rng.random() < 0.55 else rng.choice(FEES),
        "documents": [
            {"code": f"{code}{j}", "kind": k, "name": {"vi": f"{GENERATED_MARK} {label} {j}"}}
            for j, (code, k, label) in enumerate(rng.sample(DOCUMENTS, rng.randint(1, 4)), start=1)
        ],
    }
    if commune and field["vi"] == "Đất đai" and days >= 5:  # chained: commune, land registry, commune
        first, last = 1, 1
        procedure["chain"] = [
            {"level": "commune", "kind": "people_committee", "days": first},
            {"level": "province", "kind": "land_registry", "days": days - first - last},
            {"level": "commune", "kind": "people_committee", "days": last},
        ]
    return procedure


# -- officers ----------------------------------------------------------------------------------------------------
def officers(territory, count: int, rng: Random) -> list[dict]:
    """`count` generated officers in the staff directory's format: every commune's committee gets a receiver, a
    handler and a leader first (so every queue has people), the province's agencies share the rest, and when
    `count` is too small for every commune, the first communes only."""
    province = sorted(a.code for a in territory.agencies.values() if territory.level_of(a) == "province")
    communes = sorted(a.code for a in territory.agencies.values() if territory.level_of(a) == "commune")
    per_commune = min(len(communes), max(1, (count * 3 // 4) // 3))
    seats = [(code, role) for code in communes[:per_commune] for role in ("receiver", "handler", "leader")]
    roles = ("receiver", "handler", "handler", "handler", "leader")
    i = 0
    while len(seats) < count:
        seats.append((province[i % len(province)], roles[(i // len(province)) % len(roles)]))
        i += 1
    return [_officer(n, unit, role, territory, rng) for n, (unit, role) in enumerate(seats[:count], start=1)]


TITLES = {
    ("receiver", "province"): "Công chức Bộ phận Một cửa",
    ("handler", "province"): "Chuyên viên",
    ("leader", "province"): "Phó Giám đốc",
    ("receiver", "commune"): "Công chức Bộ phận Một cửa",
    ("handler", "commune"): "Công chức chuyên môn",
    ("leader", "commune"): "Phó Chủ tịch",
}


def _officer(n: int, unit: str, role: str, territory, rng: Random) -> dict:
    subject = f"{OFFICER_PREFIX}{n:04d}"
    return {
        "subject": subject,
        "full_name": generated_name(rng),
        "title": TITLES[(role, territory.agency_unit_level(unit))],
        "unit": unit,
        "roles": [role],
        "email": f"{subject}@{EMAIL_DOMAIN}",
        "valid_from": START.isoformat(),
        "valid_to": None,
        "generated": True,
    }


def write_officers(out: Path, people: list[dict]) -> Path:
    path = out / "officers.json"
    note = (
        f"GENERATED by devtools/demo_data.py: not real people. Names start with {GENERATED_MARK}, subjects with "
        f"{OFFICER_PREFIX}, e-mails end in @{EMAIL_DOMAIN}. Format: docs/demo-data.md."
    )
    path.write_text(json.dumps({"note": note, "officers": people}, ensure_ascii=False, indent=1), "utf-8")
    return path


# -- the whole run -----------------------------------------------------------------------------------------------
def generate(scale: str, out: Path, seed: int, replace: bool, dossiers: int | None = None) -> dict:
    """Catalogue, officers and dossiers at `scale`; the counts and how long each part took."""
    from devtools import demo_cases  # the dossier writer (imports the services' tables)

    size = SCALES[scale]
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    procedures = write_catalogue(out, size.procedures, Random(seed))
    catalogue = demo_cases.load_catalogue(out / "catalogue")
    people = officers(catalogue.territory, size.officers, Random(seed + 1))
    write_officers(out, people)
    prepared = time.perf_counter() - started
    counts = demo_cases.write_dossiers(
        catalogue, people, dossiers if dossiers is not None else size.dossiers, seed, replace
    )
    manifest = {
        "scale": scale,
        "seed": seed,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "procedures": len(procedures),
        "officers": len(people),
        **counts,
        "catalogue_and_officers_s": round(prepared, 2),
        "total_s": round(time.perf_counter() - started, 2),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    return manifest


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--out", type=Path, default=None, help="default var/demo-data/<scale>")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--dossiers", type=int, default=None, help="override the scale's dossier count")
    parser.add_argument("--replace", action="store_true", help="empty the tables written first")
    args = parser.parse_args(argv)
    out = args.out or REPO_ROOT / "var" / "demo-data" / args.scale
    manifest = generate(args.scale, out, args.seed, args.replace, args.dossiers)
    print(json.dumps(manifest, indent=1))
    print(f"catalogue: {out / 'catalogue'} (MOTCUA_CATALOGUE_DIR); officers: {out / 'officers.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
