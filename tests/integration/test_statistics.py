"""Statistics reconcile with the dossiers a test files and works through the API on the real services: per agency,
per administrative unit, per level, per procedure and per period, with a transferred dossier counted for each
agency's own step and once for its on-time result; unknown units, agencies, levels, procedures and periods are
refused with 422 problem+json instead of zeros."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import create_engine

from services.workflow.adapters import storage
from tests.conftest import wait_for

pytestmark = pytest.mark.integration
LEGAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
JUSTICE = "000.00.07.H41"  # province: decides 1.000656
HOA_LU = "000.31.01.H41"  # commune NB.HL.NT
NINH_GIANG = "000.31.02.H41"  # commune NB.HL.DT
YEN_KHANH = "000.32.01.H41"  # commune NB.YK.YN
LEVEL = {JUSTICE: "province", HOA_LU: "commune", NINH_GIANG: "commune", YEN_KHANH: "commune"}
UNIT = {JUSTICE: "NB", HOA_LU: "NB.HL.NT", NINH_GIANG: "NB.HL.DT", YEN_KHANH: "NB.YK.YN"}
BIRTH_CERTIFICATE = "8a0d5a2e-0000-4000-8000-000000000002"  # demo registry: held by 037185000002
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def officer(running, role: str, unit: str) -> dict:
    return running.headers(f"{role}-{unit}", "officer", unit=unit, roles=[role])


class Desk:
    """Files dossiers and works them through the API, writing down what it did: the ledger the statistics must
    reconcile with."""

    def __init__(self, running):
        self.running = running
        self.ledger: list[dict] = []

    def file(
        self,
        procedure: str,
        citizen: str,
        agency: str,
        *,
        documents=(),
        counter_by: str | None = None,
        fee: bool = False,
    ) -> dict:
        body = {
            "procedure_code": procedure,
            "applicant": {"id_number": citizen},
            "documents": list(documents),
        }
        headers = (
            officer(self.running, "receiver", counter_by) if counter_by else self.running.headers(citizen)
        )
        response = self.running.session.post(
            f"{self.running.base_url}/api/v1/dossiers", headers=headers, json=body
        )
        assert response.status_code == 201, response.text
        code = response.json()["code"]
        entry = {
            "code": code,
            "citizen": citizen,
            "procedure": procedure,
            "channel": "counter" if counter_by else "online",
            "fee": fee,
            "paid": False,
            "rating": None,
            "outcome": None,
            "steps": [{"agency": agency, "outcome": None}],
        }
        self.ledger.append(entry)
        self.receive(entry)
        return entry

    def view(self, entry) -> dict:
        return self.running.session.get(
            f"{self.running.base_url}/api/v1/dossiers/{entry['code']}",
            headers=self.running.headers(entry["citizen"]),
        ).json()

    def receive(self, entry) -> None:
        """Online receipt is automatic today; once a receiver must receive it, this receives it (both work)."""
        agency = entry["steps"][0]["agency"]
        dossier = wait_for(
            lambda: (lambda d: d if d.get("case") else None)(self.view(entry)),
            30,
            message=f"case of {entry['code']}",
        )
        if dossier["case"]["status"] == "submitted":
            params = {} if dossier["case"]["agency_code"] else {"to_agency": agency}
            self.act(entry, "receiver", "receive", params=params)
        case = wait_for(
            lambda: (lambda c: c if c["status"] == "received" else None)(self.view(entry)["case"]),
            30,
            message=f"{entry['code']} received",
        )
        assert case["agency_code"] == agency and case["level"] == LEVEL[agency]

    def act(self, entry, role: str, action: str, **body) -> dict:
        agency = entry["steps"][-1]["agency"]
        response = self.running.session.post(
            f"{self.running.base_url}/api/v1/dossiers/{entry['code']}/actions",
            headers=officer(self.running, role, agency),
            json={"action": action, **body},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def transfer(self, entry, to_agency: str, budget_days: int) -> None:
        view = self.act(
            entry,
            "leader",
            "transfer",
            reason="Chuyển cơ quan có thẩm quyền xác minh",
            params={"to_agency": to_agency, "budget_days": budget_days},
        )
        entry["steps"][-1]["outcome"] = view["steps"][-2]["outcome"]
        entry["steps"].append({"agency": to_agency, "outcome": None})

    def finish(self, entry) -> None:
        self.act(entry, "leader", "assign", params={"assignee": "chuyen-vien-1"})
        self.act(entry, "leader", "approve")
        self.act(entry, "handler", "result_ready")
        view = self.act(entry, "receiver", "return_result")
        entry["outcome"] = view["outcome"]
        entry["steps"][-1]["outcome"] = view["steps"][-1]["outcome"]

    def pay(self, entry) -> None:
        base = f"{self.running.base_url}/api/v1/dossiers/{entry['code']}"
        citizen = self.running.headers(entry["citizen"])
        wait_for(
            lambda: self.running.session.get(f"{base}/payment", headers=citizen).status_code == 200,
            30,
            message="fee assessed",
        )
        started = self.running.session.post(f"{base}/payment", headers=citizen)
        assert started.status_code == 201, started.text
        assert (
            requests.get(started.json()["payment_url"], timeout=10).status_code == 200
        )  # the citizen's page
        sandbox = started.json()["payment_url"].split("/paymentv2")[0]
        decided = requests.post(
            f"{sandbox}/sandbox/decide",
            allow_redirects=False,
            timeout=10,
            data={"txn_ref": started.json()["txn_ref"], "decision": "pay"},
        )
        assert decided.status_code == 302
        wait_for(
            lambda: "fee_paid" in [h["action"] for h in self.view(entry)["history"]],
            30,
            message="workflow saw the payment",
        )
        entry["paid"] = True

    def rate(self, entry, score: int) -> None:
        response = self.running.session.post(
            f"{self.running.base_url}/api/v1/dossiers/{entry['code']}/rating",
            headers=self.running.headers(entry["citizen"]),
            json={"score": score},
        )
        assert response.status_code == 200, response.text
        entry["rating"] = score

    def run_out_of_time(self, entry) -> None:
        """Time passing, which a test cannot wait for: the dossier's (and its running step's) due date moves to
        yesterday, as if its working days had run out. The outcome is classified by workflow at return."""
        past = datetime.now(timezone.utc) - timedelta(days=1)
        engine = create_engine(self.running.db_url("workflow"))
        with engine.begin() as conn:
            conn.execute(
                storage.cases.update()
                .where(storage.cases.c.dossier_code == entry["code"])
                .values(due_at=past)
            )
            conn.execute(
                storage.case_steps.update()
                .where(
                    storage.case_steps.c.dossier_code == entry["code"],
                    storage.case_steps.c.ended_at.is_(None),
                )
                .values(due_at=past)
            )
        engine.dispose()
        entry["overdue"] = True


def expected(
    ledger: list[dict],
    agencies: set[str] | None = None,
    level: str | None = None,
    procedure: str | None = None,
) -> dict:
    """The indicators as the ledger says they must be (every dossier filed today, so inside this month)."""

    def holds(agency):
        return (agencies is None or agency in agencies) and (level is None or LEVEL[agency] == level)

    mine = [e for e in ledger if procedure is None or e["procedure"] == procedure]
    dossiers = [e for e in mine if holds(e["steps"][0]["agency"])]
    finished = [e for e in dossiers if e["outcome"]]
    steps = [s for e in mine for s in e["steps"] if holds(s["agency"])]
    done = [s for s in steps if s["outcome"]]
    return {
        "received": len(dossiers),
        "finished": len(finished),
        "finished_early": sum(e["outcome"] == "early" for e in finished),
        "finished_on_time": sum(e["outcome"] == "on_time" for e in finished),
        "finished_late": sum(e["outcome"] == "late" for e in finished),
        "in_progress": len(dossiers) - len(finished),
        "overdue": sum(bool(e.get("overdue")) and not e["outcome"] for e in dossiers),
        "received_online": sum(e["channel"] == "online" for e in dossiers),
        "fee_charged": sum(e["fee"] for e in dossiers),
        "paid_online": sum(e["paid"] for e in dossiers),
        "ratings": sum(e["rating"] is not None for e in finished),
        "steps": {
            "received": len(steps),
            "finished": len(done),
            "finished_early": sum(s["outcome"] == "early" for s in done),
            "finished_late": sum(s["outcome"] == "late" for s in done),
            "in_progress": len(steps) - len(done),
        },
    }


def statistics(running, who: str = JUSTICE, **query):
    return running.session.get(
        f"{running.base_url}/api/v1/statistics", params=query, headers=officer(running, "leader", who)
    )


def reconcile(running, ledger, month: str, query: dict, **scope) -> dict:
    response = statistics(running, period=month, **query)
    assert response.status_code == 200, response.text
    got, want = response.json(), expected(ledger, **scope)
    for key, value in want.items():
        if key == "steps":
            for step_key, step_value in value.items():
                assert got["steps"][step_key] == step_value, (query, "steps", step_key, got["steps"])
        else:
            assert got["dossiers"][key] == value, (query, key, got["dossiers"])
            assert got[key] == value  # the same indicators at the top level for earlier clients
    return got


@pytest.fixture(scope="module")
def desk(running):
    desk = Desk(running)
    # Province, online, paid online, returned early and rated.
    early = desk.file("1.000656", "037090000001", JUSTICE, fee=True)
    desk.pay(early)
    desk.finish(early)
    desk.rate(early, 5)
    # Commune, online (the birth certificate reused from the registry), left in progress.
    desk.file("1.001193", "037185000002", NINH_GIANG, documents=[{"code": "GCS", "reuse": BIRTH_CERTIFICATE}])
    # Commune, online with an uploaded certificate: its time runs out, it is overdue, then returned late.
    uploaded = running.session.post(
        f"{running.base_url}/api/v1/uploads",
        data=PDF + uuid.uuid4().hex.encode(),
        headers={
            **running.headers("037201000003"),
            "Content-Type": "application/pdf",
            "X-File-Name": "giay-chung-sinh.pdf",
        },
    )
    assert uploaded.status_code == 201, uploaded.text
    late = desk.file(
        "1.001193", "037201000003", YEN_KHANH, documents=[{"code": "GCS", "upload": uploaded.json()["id"]}]
    )
    desk.run_out_of_time(late)
    desk.overdue_snapshot = statistics(running, agency=YEN_KHANH).json()
    desk.finish(late)
    # Province receives it, hands it to a commune for its own 3-day step, the commune returns the result.
    moved = desk.file("1.000656", "001178000004", JUSTICE, fee=True)
    desk.act(moved, "leader", "assign", params={"assignee": "chuyen-vien-1"})
    desk.transfer(moved, HOA_LU, 3)
    desk.finish(moved)
    # Filed at the justice department's counter by its receiver, left in progress.
    desk.file("1.000656", "037201000003", JUSTICE, counter_by=JUSTICE, fee=True)
    assert [e["outcome"] for e in desk.ledger] == ["early", None, "late", "early", None]
    assert [s["outcome"] for s in moved["steps"]] == ["early", "early"] and late["steps"][0][
        "outcome"
    ] == "late"
    return desk


def test_statistics_reconcile_with_the_dossiers_per_agency_unit_level_and_procedure(running, desk):
    ledger = desk.ledger
    month = datetime.now(LEGAL_TZ).strftime("%Y-%m")
    # Each agency, and the administrative unit it belongs to (the same agencies here).
    for agency in (JUSTICE, HOA_LU, NINH_GIANG, YEN_KHANH):
        reconcile(running, ledger, month, {"agency": agency}, agencies={agency})
    reconcile(running, ledger, month, {"unit": "NB"}, agencies={JUSTICE})
    for agency in (HOA_LU, NINH_GIANG, YEN_KHANH):
        got = reconcile(running, ledger, month, {"unit": UNIT[agency]}, agencies={agency})
        assert got["units"] == [UNIT[agency]] and got["agencies"] == [agency]
    # Each level of the 2-level model, and the whole province.
    for level in ("province", "commune"):
        reconcile(running, ledger, month, {"level": level}, level=level)
    whole = reconcile(running, ledger, month, {})
    # Per procedure, alone and with a level.
    for procedure in ("1.000656", "1.001193"):
        reconcile(running, ledger, month, {"procedure_code": procedure}, procedure=procedure)
        reconcile(
            running,
            ledger,
            month,
            {"procedure_code": procedure, "level": "commune"},
            procedure=procedure,
            level="commune",
        )

    # What the figures are, in words: five dossiers, the transferred one counted once as a dossier (the justice
    # department's) and once per agency as a step; one of five filed at the counter; one of three fees paid online.
    assert whole["received"] == 5 and whole["steps"]["received"] == 6
    justice = statistics(running, agency=JUSTICE, period=month).json()
    assert justice["received"] == 3 and justice["finished_early"] == 2 and justice["on_time_rate"] == 1.0
    assert justice["online_share"] == round(2 / 3, 4) and justice["online_payment_share"] == round(1 / 3, 4)
    assert justice["satisfaction_average"] == 5.0
    hoa_lu = statistics(running, agency=HOA_LU, period=month).json()
    assert (
        hoa_lu["received"] == 0
        and hoa_lu["steps"]["received"] == 1
        and hoa_lu["steps"]["finished_early"] == 1
    )
    yen_khanh = statistics(running, agency=YEN_KHANH, period=month).json()
    assert yen_khanh["finished_late"] == 1 and yen_khanh["on_time_rate"] == 0.0
    assert desk.overdue_snapshot["overdue"] == 1 and desk.overdue_snapshot["steps"]["overdue"] == 1


def test_periods_are_legal_days_and_other_periods_hold_none_of_them(running, desk):
    today = datetime.now(LEGAL_TZ).date()
    year, quarter = str(today.year), f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    day = {"date_from": today.isoformat(), "date_to": today.isoformat()}
    counts = [
        statistics(running, **q).json()["received"] for q in ({"period": year}, {"period": quarter}, day)
    ]
    assert counts == [5, 5, 5]
    for other in ({"period": str(today.year - 1)}, {"date_from": (today + timedelta(days=1)).isoformat()}):
        body = statistics(running, **other).json()
        assert body["received"] == 0 and body["steps"]["received"] == 0
        assert body["in_progress"] == 2  # what is open now is open whatever the period


@pytest.mark.parametrize(
    "query,code",
    [
        ({"unit": JUSTICE}, "unknown_unit"),  # an agency code where a unit code belongs
        ({"unit": "NB.XX"}, "unknown_unit"),
        ({"agency": "NB"}, "unknown_agency"),  # a unit code where an agency code belongs
        ({"agency": "000.99.99.H41"}, "unknown_agency"),
        ({"unit": "NB.HL.NT", "agency": JUSTICE}, "agency_not_in_unit"),
        ({"level": "district"}, "unknown_level"),  # the 2-level model has no districts
        ({"procedure_code": "9.999999"}, "unknown_procedure"),
        ({"period": "2026-13"}, "invalid_period"),
        ({"period": "2026-Q5"}, "invalid_period"),
        ({"period": "2026", "date_from": "2026-01-01"}, "invalid_period"),
        ({"date_from": "2026-12-31", "date_to": "2026-01-01"}, "invalid_period"),
        ({"date_from": "31/12/2026"}, "invalid_request"),
        ({"units": "NB"}, "unknown_parameter"),
    ],
)
def test_unknown_filters_are_refused_never_answered_with_zeros(running, query, code):
    response = statistics(running, **query)
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code and problem["title"] and problem["title_en"]
    if query == {"unit": JUSTICE}:
        assert problem["errors"]["use"] == "agency"
