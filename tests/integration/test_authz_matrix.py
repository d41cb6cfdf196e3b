"""Authorization matrix: every role against every route of the served OpenAPI document, on the real platform.

Routes come from `/api/v1/openapi.json`, so a new route without a row here fails the test by name. Each cell
says what the role must get: `ok` (2xx), `refused` (4xx from the domain after authorization passed, e.g. 409
or 422), `denied` (403 or 404: not yours, not your unit, not your role) or `unauth` (401). Every 4xx body is
problem+json, and a refused write changes nothing (rows are counted before and after in the real databases).
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from services.gateway.identity import DevIdentityProvider
from tests.conftest import wait_for

pytestmark = pytest.mark.integration

JUSTICE = "000.00.07.H41"
ELSEWHERE = "000.31.01.H41"
OWNER, OTHER = "037090000001", "037185000002"
ROLES = (
    "anonymous",
    "forged",
    "expired",
    "owner",
    "other_citizen",
    "officer",
    "officer_elsewhere",
    "leader",
    "agency",
)

# Shorthands for a row: what each role gets.
PUBLIC = dict.fromkeys(ROLES, "ok")
ANY_SIGNED_IN = {**dict.fromkeys(ROLES, "ok"), "anonymous": "unauth", "forged": "unauth", "expired": "unauth"}
NOBODY_ANON = {"anonymous": "unauth", "forged": "unauth", "expired": "unauth"}
CITIZENS_ONLY = {
    **NOBODY_ANON,
    "owner": "ok",
    "other_citizen": "ok",
    "officer": "denied",
    "officer_elsewhere": "denied",
    "leader": "denied",
    "agency": "denied",
}
OFFICERS_ONLY = {
    **NOBODY_ANON,
    "owner": "denied",
    "other_citizen": "denied",
    "officer": "ok",
    "officer_elsewhere": "ok",
    "leader": "ok",
    "agency": "denied",
}
AGENCIES_ONLY = {
    **NOBODY_ANON,
    "owner": "denied",
    "other_citizen": "denied",
    "officer": "denied",
    "officer_elsewhere": "denied",
    "leader": "denied",
    "agency": "ok",
}
# A dossier: its applicant and the officers of the units handling it; nobody else.
DOSSIER_READ = {
    **NOBODY_ANON,
    "owner": "ok",
    "other_citizen": "denied",
    "officer": "ok",
    "officer_elsewhere": "denied",
    "leader": "ok",
    "agency": "denied",
}

MATRIX: dict[str, dict[str, str]] = {
    "GET /api/v1/openapi.json": PUBLIC,
    "GET /api/v1/procedures": PUBLIC,
    # A dossier's status by code, for anyone holding the code (no personal data in it).
    "GET /api/v1/status/{code}": PUBLIC,
    # The IPN is public by design (the gateway's signature is the check): unsigned calls get the gateway's
    # own error code in a 200 answer, as VNPay expects.
    "GET /api/v1/payments/vnpay/ipn": PUBLIC,
    # Delivery receipts from the SMS/Zalo provider: public, but nothing unsigned is taken.
    "POST /api/v1/notifications/receipts": dict.fromkeys(ROLES, "denied"),
    # Citizens file for themselves; officers at a one-stop desk file for applicants; agencies never do.
    "POST /api/v1/dossiers": {
        **NOBODY_ANON,
        "owner": "ok",
        "other_citizen": "denied",
        "officer": "ok",
        "officer_elsewhere": "ok",
        "leader": "ok",
        "agency": "denied",
    },
    "GET /api/v1/procedures/{code}/prefill": CITIZENS_ONLY,
    "POST /api/v1/uploads": ANY_SIGNED_IN,
    # Drafts belong to whoever saved them: anyone signed in may keep drafts; another person's is not found.
    "POST /api/v1/drafts": ANY_SIGNED_IN,
    "GET /api/v1/drafts": ANY_SIGNED_IN,
    "GET /api/v1/drafts/{draft_id}": {
        **NOBODY_ANON,
        "owner": "ok",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "denied",
        "agency": "denied",
    },
    "PUT /api/v1/drafts/{draft_id}": {
        **NOBODY_ANON,
        "owner": "ok",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "denied",
        "agency": "denied",
    },
    "DELETE /api/v1/drafts/{draft_id}": {
        **NOBODY_ANON,
        "owner": "ok",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "denied",
        "agency": "denied",
    },
    "GET /api/v1/me/access-log": CITIZENS_ONLY,
    "GET /api/v1/me/consents": CITIZENS_ONLY,
    "POST /api/v1/me/consents": CITIZENS_ONLY,
    # A consent id of the owner: another citizen cannot withdraw it.
    "DELETE /api/v1/me/consents/{consent_id}": {**CITIZENS_ONLY, "other_citizen": "denied"},
    # Personal data for agencies and officers, and only with the person's consent (none given here).
    "GET /api/v1/registry/persons/{id_number}": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "denied",
        "agency": "denied",
    },
    "GET /api/v1/dossiers/{code}": DOSSIER_READ,
    # Actions: the citizen may only withdraw or resubmit (the action asked here, `assign`, is an officer's);
    # the unit's leader may assign; a receiver of the unit lacks the role; other units are not told it exists.
    "POST /api/v1/dossiers/{code}/actions": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "ok",
        "agency": "denied",
    },
    "GET /api/v1/dossiers/{code}/forms/{number}": DOSSIER_READ,
    # Rating: the applicant only, and only once the result is returned (the dossier is still in progress).
    "POST /api/v1/dossiers/{code}/rating": {
        **NOBODY_ANON,
        "owner": "refused",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "denied",
        "agency": "denied",
    },
    "GET /api/v1/dossiers/{code}/payment": DOSSIER_READ,
    "POST /api/v1/dossiers/{code}/payment": {
        **NOBODY_ANON,
        "owner": "ok",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "denied",
        "agency": "denied",
    },
    # No receipt before payment: the owner and the unit get "not paid yet", the others are denied.
    "GET /api/v1/dossiers/{code}/receipt": {
        **DOSSIER_READ,
        "owner": "refused",
        "officer": "refused",
        "leader": "refused",
    },
    # The signed result: not returned yet, so the applicant and the unit are told "not ready", others denied.
    "GET /api/v1/dossiers/{code}/result": {
        **DOSSIER_READ,
        "owner": "refused",
        "officer": "refused",
        "leader": "refused",
    },
    "GET /api/v1/me/dossiers": CITIZENS_ONLY,
    # Refunds: leaders of the unit; nothing is paid, so even they are refused by the domain.
    "POST /api/v1/dossiers/{code}/refunds": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "refused",
        "agency": "denied",
    },
    # Settling a refund whose outcome is unknown: leaders of the unit; the refund asked here does not exist.
    "POST /api/v1/dossiers/{code}/refunds/{refund_id}/settlement": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "refused",
        "agency": "denied",
    },
    "GET /api/v1/queue": OFFICERS_ONLY,
    "GET /api/v1/queue/export": OFFICERS_ONLY,
    # Bulk assignment: officers; each dossier is workflow's own `assign` (leaders of its unit). The dossier asked
    # here does not exist, so every officer learns that none was assigned (422), and nothing is written.
    "POST /api/v1/queue/assignments": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "refused",
        "officer_elsewhere": "refused",
        "leader": "refused",
        "agency": "denied",
    },
    # The working calendar's run-time corrections: anyone may read them; only a province administrator (the
    # `admin` role, which no role here has) publishes one.
    "GET /api/v1/calendar/corrections": PUBLIC,
    "POST /api/v1/calendar/corrections": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "denied",
        "agency": "denied",
    },
    "GET /api/v1/statistics": OFFICERS_ONLY,
    "GET /api/v1/logbook": OFFICERS_ONLY,
    # Merging units: leaders only; the merge asked here names unknown units, so the domain refuses it.
    # Checking a signed result is public (tokens are not even looked at); the code asked here does not exist and
    # the file check gets no PDF, so everyone gets the same refusal.
    "GET /api/v1/verifications/{code}": dict.fromkeys(ROLES, "refused"),
    "POST /api/v1/verifications": dict.fromkeys(ROLES, "refused"),
    # Revoking: leaders (of the issuing agency); the code asked here does not exist, so leaders learn that.
    "POST /api/v1/verifications/{code}/revocation": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "refused",
        "leader": "refused",
        "agency": "denied",
    },
    # National portal reconciliation: officers of province-level agencies (the commune officer is not).
    "GET /api/v1/portal-sync/reconciliation": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "ok",
        "officer_elsewhere": "denied",
        "leader": "ok",
        "agency": "denied",
    },
    # Event subscriptions: agencies only, each its own (the id here is the agency's own subscription).
    "POST /api/v1/subscriptions": AGENCIES_ONLY,
    "GET /api/v1/subscriptions": AGENCIES_ONLY,
    "GET /api/v1/subscriptions/{subscription_id}": AGENCIES_ONLY,
    "DELETE /api/v1/subscriptions/{subscription_id}": AGENCIES_ONLY,
    "POST /api/v1/subscriptions/{subscription_id}/secret": AGENCIES_ONLY,
    "GET /api/v1/subscriptions/{subscription_id}/deliveries": AGENCIES_ONLY,
    "POST /api/v1/subscriptions/{subscription_id}/replays": AGENCIES_ONLY,
    # Signing out ends the caller's own session (asked with a fresh token of each role, see the loop).
    "POST /api/v1/sign-out": ANY_SIGNED_IN,
    # Revoking an officer's sessions: province administrators only (the `admin` role, which no role here has).
    "POST /api/v1/sessions/revocations": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "denied",
        "officer_elsewhere": "denied",
        "leader": "denied",
        "agency": "denied",
    },
    # The staff directory: officers read their own agency's (and their own entry, a colleague's); another
    # agency's officer is not found. Changing it: province administrators only (no role here is one).
    "GET /api/v1/staff": OFFICERS_ONLY,
    "GET /api/v1/staff/{subject}": {
        **NOBODY_ANON,
        "owner": "denied",
        "other_citizen": "denied",
        "officer": "ok",
        "officer_elsewhere": "denied",
        "leader": "ok",
        "agency": "denied",
    },
    "PUT /api/v1/staff/{subject}": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    "POST /api/v1/staff/{subject}/revocation": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    # The procedure catalogue's administration: province administrators only (no role here is one).
    "POST /api/v1/catalogue/imports": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    "GET /api/v1/catalogue/procedures": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    "GET /api/v1/catalogue/procedures/{code}/versions": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    "POST /api/v1/catalogue/procedures/{code}/versions/{version}/publication": {
        **dict.fromkeys(ROLES, "denied"),
        **NOBODY_ANON,
    },
    "POST /api/v1/catalogue/procedures/{code}/versions/{version}/withdrawal": {
        **dict.fromkeys(ROLES, "denied"),
        **NOBODY_ANON,
    },
    # The province's administration: any officer reads units, fees, settings and process previews; only province
    # administrators change them (no role here is one: workflow refuses after the body is checked).
    "GET /api/v1/units": OFFICERS_ONLY,
    "GET /api/v1/units/{code}": OFFICERS_ONLY,
    "GET /api/v1/fees": OFFICERS_ONLY,
    "GET /api/v1/settings": OFFICERS_ONLY,
    "GET /api/v1/processes": OFFICERS_ONLY,
    "POST /api/v1/units": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    "POST /api/v1/units/{code}/names": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    "POST /api/v1/fees/{procedure_code}/versions": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    "POST /api/v1/settings/{name}/values": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    "POST /api/v1/processes/checks": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
    # Merging units is a province administrator's (docs/province-admin.md): a leader is refused too.
    "POST /api/v1/units/merges": {**dict.fromkeys(ROLES, "denied"), **NOBODY_ANON},
}


def _forge(token: str) -> str:
    """The same claims with a signature that does not match (last byte of the signature flipped)."""
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[-1] ^= 0x01
    return ".".join([head, payload, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()])


def _headers(running) -> dict[str, dict]:
    owner = running.token(OWNER)
    # Signed by the platform's own development key, but two hours old: valid signature, expired an hour ago.
    idp = DevIdentityProvider(
        Path(running.platform.env["DEV_IDP_KEY"]),
        issuer=f"{running.platform.env['PUBLIC_URL']}/dev-idp",
        env="local",
        now=lambda: time.time() - 7200,
    )
    expired_token = idp.issue(OWNER, ttl_seconds=3600)
    bearer = lambda t: {"Authorization": f"Bearer {t}"}  # noqa: E731
    return {
        "anonymous": {},
        "forged": bearer(_forge(owner)),
        "expired": bearer(expired_token),
        "owner": bearer(owner),
        "other_citizen": running.headers(OTHER),
        "officer": running.headers("receiver-1", "officer", unit=JUSTICE, roles=["receiver"]),
        "officer_elsewhere": running.headers(
            "receiver-9", "officer", unit=ELSEWHERE, roles=["receiver", "leader"]
        ),
        "leader": running.headers("leader-1", "officer", unit=JUSTICE, roles=["leader"]),
        "agency": running.headers("agency-1", "agency", unit="000.00.15.H41"),
    }


def _request(running, method: str, path: str, role: str, headers: dict, things: dict):
    """A request that would succeed for a role allowed to make it."""
    values = things
    if path.startswith(("/api/v1/procedures/", "/api/v1/catalogue/")):
        values = {**things, "code": "1.000656", "version": 1}
    elif path.startswith("/api/v1/verifications/"):
        values = {**things, "code": "ZZZZ9999"}
    elif path.startswith("/api/v1/units/"):
        values = {**things, "code": "NB.HL.NT"}
    values = {**values, "procedure_code": "1.000656", "name": "due_soon_working_days"}
    url = running.base_url + path.format(**values)
    body, extra = None, {}
    if method == "POST" and path == "/api/v1/dossiers":
        body = {"procedure_code": "1.000656", "applicant": {"id_number": OWNER}}
    elif path == "/api/v1/uploads":
        extra = {"data": b"%PDF-1.4\n% matrix\n", "headers": {**headers, "Content-Type": "application/pdf"}}
    elif path.startswith("/api/v1/drafts") and method in ("POST", "PUT"):
        body = {"procedure_code": "1.000656", "note": f"draft by {role}"}
    elif path == "/api/v1/me/consents" and method == "POST":
        body = {
            "agency_code": "000.00.15.H41",
            "category": "contact",
            "purpose": "verification",
            "valid_until": (datetime.now(timezone.utc) + timedelta(days=30)).isoformat(),
        }
    elif path == "/api/v1/queue/assignments":
        body = {"dossier_codes": ["000.00.07.H41-000101-9999"], "assignee": "handler-1"}
    elif path.endswith("/actions"):
        body = {"action": "assign", "params": {"assignee": "handler-1"}}
    elif path == "/api/v1/calendar/corrections" and method == "POST":
        body = {
            "date": "2027-11-24",
            "kind": "day_off",
            "name": "Ngày Văn hóa Việt Nam",
            "source": "kiểm tra phân quyền (không phải văn bản thật)",
        }
    elif path.endswith(("/revocation", "/withdrawal")):
        body = {"reason": "kiểm tra phân quyền"}
    elif path == "/api/v1/catalogue/imports":
        csv_file = "Mã thủ tục,Tên thủ tục\n1.000656,Cấp Phiếu lý lịch tư pháp\n".encode()
        extra = {"data": csv_file, "headers": {**headers, "Content-Type": "text/csv"}}
    elif path.endswith("/rating"):
        body = {"score": 5}
    elif path.endswith("/refunds"):
        body = {"amount_vnd": 1000, "reason": "kiểm tra phân quyền"}
    elif path.endswith("/settlement"):
        body = {"outcome": "done", "note": "kiểm tra phân quyền"}
    elif path == "/api/v1/subscriptions":
        body = {"url": "http://127.0.0.1:9/hook", "event_types": ["motcua.workflow.v1.DossierStatusChanged"]}
    elif path.endswith("/secret"):
        body = {"grace_seconds": 60}
    elif path.endswith("/replays"):
        body = {"since": "2026-01-01T00:00:00+00:00"}
    elif path == "/api/v1/sessions/revocations":
        body = {"subject": "receiver-1", "reason": "kiểm tra phân quyền"}
    elif path.startswith("/api/v1/staff/") and method == "PUT":
        body = {"full_name": "Cán bộ thử nghiệm", "unit": ELSEWHERE, "roles": ["leader", "admin"]}
    elif path == "/api/v1/units" and method == "POST":
        body = {
            "code": "NB.MATRIX",
            "name": "Xã Kiểm Tra",
            "level": "commune",
            "parent": "NB",
            "valid_from": "2027-01-01",
            "source": "kiểm tra phân quyền (không phải văn bản thật)",
        }
    elif path.endswith("/names"):
        body = {"name": "Phường Kiểm Tra", "valid_from": "2027-01-01", "source": "kiểm tra phân quyền"}
    elif path.startswith("/api/v1/fees/"):
        body = {"valid_from": "2027-01-01", "lines": [], "basis": "kiểm tra phân quyền"}
    elif path.startswith("/api/v1/settings/"):
        body = {"value": "3", "valid_from": "2027-01-01", "reason": "kiểm tra phân quyền"}
    elif path == "/api/v1/processes/checks":
        body = {"definition": "name: matrix\n"}
    elif path == "/api/v1/units/merges":
        body = {"sources": ["NO.SUCH.UNIT.1"], "successor": "NO.SUCH.UNIT.2", "effective_on": "2026-12-01"}
    params = {"category": "contact", "purpose": "verification"} if "registry/persons" in path else None
    if not extra:
        extra = {"headers": headers, **({"json": body} if body is not None else {})}
    return running.session.request(method, url, params=params, timeout=30, **extra)


# A 404 that hides something from someone not allowed to see it; any other 404 (a receipt not issued yet) is the
# domain answering a caller who was allowed to ask.
HIDING = {"dossier_not_found", "case_not_found", "draft_not_found", "consent_not_found", "officer_not_found"}


def _classify(response) -> str:
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if status == 401:
        return "unauth"
    code = (
        response.json().get("code")
        if response.headers.get("Content-Type") == "application/problem+json"
        else ""
    )
    if status == 403 or (status == 404 and code in HIDING):
        return "denied"
    if status in (400, 404, 409, 410, 422):
        return "refused"
    return f"unexpected {status}"


def _quiet_counts(running, timeout: float = 30) -> dict[str, int]:
    """Row counts once the platform is quiet (two readings half a second apart agree): earlier allowed requests
    keep working in the background (cases opened, fees assessed) and must not be blamed on the next one."""
    deadline = time.monotonic() + timeout
    last = _row_counts(running)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _row_counts(running)
        if now == last:
            return now
        last = now
    raise AssertionError(f"platform never quiet: {last}")


def _row_counts(running) -> dict[str, int]:
    tables = {
        "intake": ["dossiers", "outbox", "drafts", "uploads"],
        "registry": ["consents"],
        "workflow": ["case_actions", "outbox", "officers"],
        "payment": ["payments", "refunds", "outbox"],
        "notify": ["subscriptions"],
    }
    counts = {}
    for service, names in tables.items():
        engine = create_engine(running.db_url(service))
        try:
            with engine.connect() as conn:
                for name in names:
                    counts[f"{service}.{name}"] = conn.execute(
                        text(f"SELECT count(*) FROM {name}")
                    ).scalar_one()
        finally:
            engine.dispose()
    return counts


def test_every_role_against_every_route(running):
    document = running.session.get(f"{running.base_url}/api/v1/openapi.json").json()
    # DELETE routes last: the owner deleting their draft or consent must not remove what other cells need.
    routes = sorted(
        (f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops),
        key=lambda r: (r.startswith("DELETE"), r),
    )
    missing = [r for r in routes if r not in MATRIX]
    assert not missing, f"routes with no row in the authorization matrix (add one): {missing}"
    stale = [r for r in MATRIX if r not in routes]
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"

    headers = _headers(running)
    code = running.submit("1.000656", OWNER).json()["code"]
    dossier_url = f"{running.base_url}/api/v1/dossiers/{code}"
    running.receive(code)
    wait_for(
        lambda: running.session.get(f"{dossier_url}/payment", headers=headers["owner"]).status_code == 200,
        30,
        message="fee assessed",
    )
    draft = running.session.post(
        f"{running.base_url}/api/v1/drafts", headers=headers["owner"], json={"procedure_code": "1.000656"}
    ).json()["id"]
    consent = running.session.post(
        f"{running.base_url}/api/v1/me/consents",
        headers=headers["owner"],
        json={
            "agency_code": "000.00.99.H41",
            "category": "address",
            "purpose": "statistics",
            "valid_until": (datetime.now(timezone.utc) + timedelta(days=5)).isoformat(),
        },
    ).json()["id"]
    subscription = running.session.post(
        f"{running.base_url}/api/v1/subscriptions",
        headers=headers["agency"],
        json={"url": "http://127.0.0.1:9/hook"},
    ).json()["id"]
    things = {
        "code": code,
        "draft_id": draft,
        "consent_id": consent,
        "id_number": OWNER,
        "number": "01",
        "subscription_id": subscription,
        "refund_id": "00000000-0000-4000-8000-000000000000",
        "subject": "receiver-1",  # the `officer` role's own entry (the directory recorded it from its token)
    }

    fresh = _headers(running)
    # Which cells may write: only those expected to succeed. Everything else must leave every table unchanged.
    failures, checked, table = [], 0, []
    dirty, baseline = True, {}
    for route in routes:
        method, path = route.split(" ", 1)
        # On a DELETE route whoever may delete goes last, after everyone who must not be able to.
        order = sorted(ROLES, key=lambda r: method == "DELETE" and MATRIX[route][r] == "ok")
        line = []
        for role in order:
            expected = MATRIX[route][role]
            before = None
            if method != "GET" and expected != "ok":
                # A refused write writes nothing, not even an outbox row (so nothing downstream either): the
                # counts right after the answer must equal those before it.
                before = _quiet_counts(running) if dirty else baseline
            elif method != "GET":
                dirty = True
            # Signing out would end the role's token for the routes after this one: it signs out a fresh one.
            asking = fresh[role] if path == "/api/v1/sign-out" else headers[role]
            response = _request(running, method, path, role, asking, things)
            got = _classify(response)
            checked += 1
            line.append(f"{role}={response.status_code}")
            if got != expected:
                failures.append(
                    f"{route} as {role}: expected {expected}, got {response.status_code} "
                    f"{response.text[:160]}"
                )
                continue
            if response.status_code >= 400:
                ctype = response.headers.get("Content-Type", "")
                if ctype != "application/problem+json":
                    failures.append(f"{route} as {role}: {response.status_code} with Content-Type {ctype!r}")
                elif "code" not in response.json():
                    failures.append(f"{route} as {role}: problem without a code")
            if before is not None:
                after = baseline = _row_counts(running)
                dirty = False
                if after != before:
                    changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
                    failures.append(f"{route} as {role}: refused, yet rows changed {changed}")
        table.append(f"  {route}: " + " ".join(line))
    print(
        f"\n[authorization matrix/{running.backend}] {len(routes)} routes x {len(ROLES)} roles = {checked} cells, "
        f"{len(failures)} wrong"
    )
    print("\n".join(table))
    assert not failures, "\n".join(failures)
    # And the owner's dossier was never touched by anyone else's request: still received, assigned by the leader.
    history = [
        h["action"] for h in running.session.get(dossier_url, headers=headers["owner"]).json()["history"]
    ]
    assert history.count("assign") == 1, json.dumps(history)
