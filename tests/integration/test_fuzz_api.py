"""Schemathesis against the served `/api/v1/openapi.json`: generated requests, valid and invalid, to every
operation, as a citizen, an officer and nobody. No answer is a 5xx; every 4xx is problem+json with its status
and a code; a refused write stores nothing (rows of the tables requests write synchronously, counted before and
after each refused write). `FUZZ_EXAMPLES` sets examples per operation, per generation mode."""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import create_engine, text

pytestmark = [pytest.mark.integration, pytest.mark.fuzz]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
# What a request writes before it answers (asynchronous consequences come from the outbox rows counted here).
SYNC_TABLES = {
    "intake": ["dossiers", "drafts", "uploads", "idempotency_keys", "outbox"],
    "registry": ["consents", "idempotency_keys"],
    "payment": ["refunds", "idempotency_keys"],
    "notify": ["subscriptions", "idempotency_keys"],
}


def _counts(engines) -> dict[str, int]:
    out = {}
    for service, names in SYNC_TABLES.items():
        with engines[service].connect() as conn:
            for name in names:
                out[f"{service}.{name}"] = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
    return out


def _header(response, name: str) -> str:
    for key, value in response.headers.items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else value
    return ""


@pytest.mark.parametrize("running", ["postgresql"], indirect=True)
def test_generated_requests_get_no_5xx_and_refusals_store_nothing(running):
    document = running.session.get(f"{running.base_url}/api/v1/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    who = {
        "citizen": running.headers("037090000001"),
        "officer": running.headers("leader-1", "officer", unit="000.00.07.H41", roles=["leader", "receiver"]),
        "nobody": {},
    }
    engines = {s: create_engine(running.db_url(s)) for s in SYNC_TABLES}
    tally = {"requests": 0, "2xx": 0, "4xx": 0, "5xx": 0, "refused_writes_checked": 0}
    failures: list[str] = []
    started = time.monotonic()
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(
                    max_examples=EXAMPLES,
                    derandomize=True,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(sorted(who)))
                def exercise(case, role):
                    write = case.method.upper() != "GET"
                    before = _counts(engines) if write else None
                    response = case.call(
                        base_url=running.base_url,
                        session=running.session,
                        headers=dict(who[role]),
                        timeout=30,
                    )
                    status = response.status_code
                    tally["requests"] += 1
                    label = f"{case.method.upper()} {case.formatted_path} as {role}"
                    if status >= 500:
                        tally["5xx"] += 1
                        failures.append(f"{label}: {status} {response.text[:200]}")
                        return
                    if status < 300:
                        tally["2xx"] += 1
                        return
                    tally["4xx"] += 1
                    ctype = _header(response, "Content-Type")
                    if ctype != "application/problem+json":
                        failures.append(f"{label}: {status} with Content-Type {ctype!r}")
                        return
                    body = response.json()
                    if body.get("status") != status or not body.get("code"):
                        failures.append(f"{label}: problem body without matching status or code: {body}")
                    if before is not None:
                        tally["refused_writes_checked"] += 1
                        after = _counts(engines)
                        if after != before:
                            changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
                            failures.append(f"{label}: refused with {status}, yet stored {changed}")

                try:
                    exercise()
                except Unsatisfiable:
                    if mode is GenerationMode.POSITIVE:
                        raise
                    tally.setdefault("operations_without_invalid_inputs", 0)
                    tally["operations_without_invalid_inputs"] += 1  # nothing to get wrong (no parameters)
    finally:
        for engine in engines.values():
            engine.dispose()
    print(
        f"\n[schemathesis/{running.backend}] {len(document['paths'])} paths, {tally} "
        f"in {time.monotonic() - started:.0f} s"
    )
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures[:40])
    assert tally["requests"] >= EXAMPLES * 10  # it really ran (hypothesis may stop early on small spaces)
