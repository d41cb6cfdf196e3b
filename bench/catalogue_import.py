"""The import of a province's catalogue, timed (issue #22 item 5; docs/catalogue-import.md): a GENERATED file of
2,000 procedures (devtools/catalogue_file.py: codes GEN-9.…, names «[Dữ liệu sinh]») sent to
POST /api/v1/catalogue/imports by a province administrator, the whole path (HTTP, the gateway, the RPC, parsing
and validating every row against the province, one transaction writing 2,000 versions and their audit entries).
Printed, never asserted.

`measure(base, headers)` is the figure the scale stage prints (bench/scale.py, on its province-size data);
`python -m bench.catalogue_import` (part of `make bench`) measures it alone on a fresh platform (its own RabbitMQ
and PostgreSQL, the default units): each run imports a changed file (every procedure's processing time moved by a
day), so each run creates 2,000 new versions (drafts: the public catalogue is not touched); the check only
(`dry_run=true`: parse and validate, nothing written) is timed too."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time

import requests

from devtools import catalogue_file
from devtools.platform import Platform
from devtools.ports import free_port
from devtools.postgres import Postgres
from devtools.rabbit import RabbitMQ
from services.chassis.config import REPO_ROOT

COUNT = 2000
RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "3"))
VAR = REPO_ROOT / "var" / "bench" / "catalogue-import"


def admin_headers(base: str, unit: str) -> dict:
    """A province administrator's development token (local mode: the token's claims decide)."""
    token = requests.post(
        f"{base}/dev/token",
        json={"sub": "bench.quantri", "kind": "officer", "unit": unit, "roles": ["admin"]},
        timeout=30,
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _versions_so_far(base: str, headers: dict) -> int:
    listed = requests.get(
        f"{base}/api/v1/catalogue/procedures/{catalogue_file.code(0)}/versions", headers=headers, timeout=60
    )
    return len(listed.json()["versions"]) if listed.status_code == 200 else 0


def _post(base: str, headers: dict, content: bytes, **params) -> tuple[float, dict]:
    started = time.perf_counter()
    answer = requests.post(
        f"{base}/api/v1/catalogue/imports",
        headers={**headers, "Content-Type": "text/csv"},
        params=params,
        data=content,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"import refused: HTTP {answer.status_code} {answer.text[:500]}")
    return elapsed, answer.json()


def measure(base: str, headers: dict, runs: int = RUNS) -> dict:
    """Seconds to import 2,000 changed procedures (median of `runs`, each one creating 2,000 versions) and to
    check the file only."""
    first = _versions_so_far(base, headers) + 1
    imported = []
    for n in range(runs):
        seconds, report = _post(base, headers, catalogue_file.csv_bytes(COUNT, version=first + n))
        if report["created_count"] != COUNT:
            raise RuntimeError(f"expected {COUNT} versions created, got {report['created_count']}")
        imported.append(seconds)
    content = catalogue_file.csv_bytes(COUNT, version=first + runs)
    checked = [_post(base, headers, content, dry_run="true")[0] for _ in range(runs)]
    return {
        "procedures": COUNT,
        "file_bytes": len(content),
        "runs": runs,
        "import_s": round(statistics.median(imported), 2),
        "import_runs_s": [round(s, 2) for s in imported],
        "check_only_s": round(statistics.median(checked), 2),
    }


def line(figure: dict) -> str:
    return (
        f"Catalogue import of {figure['procedures']:,} procedures ({figure['file_bytes'] // 1024} KB CSV, "
        f"through the API, each run creating {figure['procedures']:,} versions): median {figure['import_s']} s of "
        f"{figure['runs']} runs {figure['import_runs_s']}; the check alone (dry_run) {figure['check_only_s']} s"
    )


def main() -> int:
    shutil.rmtree(VAR, ignore_errors=True)
    http_port = free_port()
    broker = RabbitMQ(VAR / "rabbitmq", port=free_port(), dist_port=free_port())
    pg = Postgres(VAR / "pg", port=free_port(), fast=False)
    platform = None
    try:
        broker.start()
        pg.start()
        env = {
            "MOTCUA_ENV": "local",
            "AMQP_URI": broker.amqp_uri,
            "DATABASE_URL": pg.url("imp_{service}"),
            "DEV_IDP_KEY": str(VAR / "dev-idp" / "key.pem"),
            "SMTP_PORT": str(free_port()),
            "LOG_LEVEL": "WARNING",
        }
        platform = Platform(env=env, log_dir=VAR / "logs", http_port=http_port, metrics_ports={})
        platform.start_with_demo()
        base = f"http://127.0.0.1:{http_port}"
        figure = measure(base, admin_headers(base, "000.00.07.H41"))  # Sở Tư pháp: a province-level agency
    finally:
        if platform is not None:
            platform.stop_all()
        pg.stop()
        broker.stop()
    print("\n" + line(figure) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
