"""The officers' work queue at province size (`python -m bench.queue_search`, part of `make bench`): the time of
the queries behind GET /api/v1/queue over 10,000 dossiers on PostgreSQL, printed, never asserted.

A private PostgreSQL cluster (var/bench/queue-pg) gets intake's and workflow's schemas by their own migrations, then
GENERATED data (not real people: names drawn from common Vietnamese family, middle and given names, random ID and
phone numbers): BENCH_QUEUE_DOSSIERS dossiers (default 10,000) with their search terms in intake and their cases in
workflow, 60 % held by one unit (the unit searched), the rest by four others; 80 % still open, a third of those
waiting for receipt, the rest received with a due date around today, some assigned.

Measured, each BENCH_QUEUE_REPEAT times (default 50), median and 95th percentile in milliseconds:
intake's look-up by applicant (name of three words, a common family name alone, an ID number, a phone: the SQL of
`find_dossiers`), workflow's page of the queue with the counts of every view (the SQL of `worklist`: the first page,
a view, a page after a cursor, a search among the codes intake found, a search by a piece of a code). The RPC and
HTTP around them cost what bench/run.py measures (B2) and are not repeated here.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from devtools.postgres import Postgres
from services.chassis.config import REPO_ROOT
from services.chassis.migrate import upgrade
from services.intake.adapters import storage as intake_storage
from services.intake.domain import search
from services.workflow.adapters import storage as workflow_storage
from services.workflow.dependencies import Catalogue
from services.workflow.use_cases import worklist

DOSSIERS = int(os.environ.get("BENCH_QUEUE_DOSSIERS", "10000"))
REPEAT = int(os.environ.get("BENCH_QUEUE_REPEAT", "50"))
PORT = int(os.environ.get("BENCH_QUEUE_PG_PORT", "55452"))
UNIT = "000.00.07.H41"
OTHERS = ("000.00.22.H41", "000.31.01.H41", "000.32.01.H41", "000.00.15.H41")
FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
)
MIDDLE = ("Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Hữu", "Thanh", "Quang", "Hoài")
GIVEN = (
    "An",
    "Bình",
    "Châu",
    "Dung",
    "Hà",
    "Hải",
    "Hạnh",
    "Hùng",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Phúc",
    "Quân",
)


def _people(rng: random.Random) -> list[dict]:
    people = []
    for n in range(DOSSIERS):
        people.append(
            {
                "name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                "id_number": f"0{rng.randint(10, 99)}{rng.randint(0, 999_999_999):09d}",
                "phone": f"09{rng.randint(0, 99_999_999):08d}",
                "agency": UNIT if rng.random() < 0.6 else rng.choice(OTHERS),
                "n": n,
            }
        )
    return people


def _fill(intake_url: str, workflow_url: str, people: list[dict], rng: random.Random) -> None:
    now = datetime.now(timezone.utc)
    dossiers, terms, cases = [], [], []
    for p in people:
        code = f"{p['agency']}-{(now - timedelta(days=p['n'] % 300)).strftime('%y%m%d')}-{p['n']:05d}"
        p["code"] = code
        dossiers.append(
            dict(
                code=code,
                procedure_code="1.000656",
                procedure_version=1,
                receiving_agency_code=p["agency"],
                applicant_id_number=p["id_number"],
                applicant_ref=uuid.uuid4().hex,
                applicant_name=p["name"],
                applicant_unit_code="NB.HL.NT",
                contact_email="",
                contact_phone=p["phone"],
                language="vi",
                channel="online",
                form_data="{}",
                submitted_by=p["id_number"],
                submitted_at=now - timedelta(days=p["n"] % 300),
            )
        )
        terms += [
            {"term": t, "agency_code": p["agency"], "dossier_code": code}
            for t in search.terms_for(p["name"], p["id_number"], p["phone"])
        ]
        cases.append(_case(p, code, now, rng))
    for url, rows in (
        (intake_url, [(intake_storage.dossiers, dossiers), (intake_storage.dossier_search_terms, terms)]),
        (workflow_url, [(workflow_storage.cases, cases)]),
    ):
        engine = create_engine(url)
        with engine.begin() as conn:
            for table, values in rows:
                for start in range(0, len(values), 2000):
                    conn.execute(table.insert(), values[start : start + 2000])
            conn.exec_driver_sql("ANALYZE")
        engine.dispose()


def _case(p: dict, code: str, now: datetime, rng: random.Random) -> dict:
    roll = rng.random()
    status = (
        "returned" if roll < 0.2 else "submitted" if roll < 0.47 else rng.choice(("received", "in_progress"))
    )
    due = (
        None if status == "submitted" else now + timedelta(days=rng.randint(-5, 20), hours=rng.randint(0, 23))
    )
    submitted = now - timedelta(days=p["n"] % 300, minutes=p["n"] % 997)
    return dict(
        dossier_code=code,
        procedure_code="1.000656",
        procedure_version=1,
        agency_code=p["agency"],
        level="province",
        receiving_agency_code=p["agency"],
        applicant_unit_code="NB.HL.NT",
        applicant_ref=uuid.uuid4().hex,
        status=status,
        submitted_at=submitted,
        received_at=None if status == "submitted" else submitted,
        due_at=due,
        due_explanation="{}",
        updated_at=submitted,
        process="standard",
        assignee=f"handler-{rng.randint(1, 5)}" if status == "in_progress" else "",
        finished_at=now if status == "returned" else None,
        outcome="on_time" if status == "returned" else "",
    )


def _time(fn) -> tuple[float, float]:
    fn()  # warm: plans cached, pages in memory, as on a busy server
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def _measure(intake_url: str, workflow_url: str, people: list[dict]) -> list[tuple[str, float, float, int]]:
    intake_engine, workflow_engine = create_engine(intake_url), create_engine(workflow_url)
    sessions = sessionmaker(workflow_engine)
    catalogue = Catalogue()
    catalogue.setup()
    mine = [p for p in people if p["agency"] == UNIT]
    someone = mine[len(mine) // 2]
    agencies = [UNIT]
    results = []

    def find(text: str) -> list[str]:
        query = search.parse(text)
        with intake_engine.connect() as conn:
            return intake_storage.find_by_terms(conn, list(query.terms), agencies, 501)

    for label, text in (
        ("intake: by name (3 words)", someone["name"]),
        ("intake: by family name alone", someone["name"].split()[0]),
        ("intake: by ID number", someone["id_number"]),
        ("intake: by phone", someone["phone"]),
    ):
        found = find(text)
        results.append((label, *_time(lambda t=text: find(t)), len(found)))

    def page(request: dict) -> dict:
        with sessions() as session:
            return worklist.worklist(session, catalogue, UNIT, {"limit": 50, **request})

    first = page({})
    codes = find(someone["name"])
    for label, request in (
        ("workflow: first page + counts", {}),
        ("workflow: view due_soon + counts", {"view": "due_soon"}),
        ("workflow: page after a cursor", {"after": first["next"]}),
        ("workflow: search among intake's codes", {"q": someone["name"], "codes": codes}),
        ("workflow: search by a piece of a code", {"q": someone["code"][-11:]}),
    ):
        answer = page(request)
        results.append((label, *_time(lambda r=request: page(r)), len(answer["items"])))
    intake_engine.dispose()
    workflow_engine.dispose()
    return results


def main() -> None:
    pg = Postgres(REPO_ROOT / "var" / "bench" / "queue-pg", port=PORT)
    pg.stop()
    pg.start()
    try:
        run = uuid.uuid4().hex[:6]
        urls = {s: pg.url(f"q{run}_{s}") for s in ("intake", "workflow")}
        for service, url in urls.items():
            upgrade(service, url)
        rng = random.Random(20270105)
        people = _people(rng)
        started = time.perf_counter()
        _fill(urls["intake"], urls["workflow"], people, rng)
        print(
            f"\nqueue search over {DOSSIERS:,} generated dossiers on PostgreSQL (filled in {time.perf_counter() - started:.1f} s)"
        )
        print(f"{'query':44} {'median ms':>10} {'p95 ms':>10} {'rows':>6}")
        for label, median, p95, rows in _measure(urls["intake"], urls["workflow"], people):
            print(f"{label:44} {median:10.2f} {p95:10.2f} {rows:6}")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
