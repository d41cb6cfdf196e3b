"""What the staff directory costs on an officer's request path (docs/staff-directory.md), printed, not asserted:

    .venv/bin/python -m bench.officer_resolution        # (PYTHONPATH as the Makefile sets it)

A private RabbitMQ, SQLite databases under var/bench-staff, and three services (registry, workflow, gateway) in
directory mode with the demo officers. The same officer asks `GET /api/v1/queue` (one RPC of its own) 1,000 times
in a row: first with the gateway's cache on (the default 30 s: after the first request the officer is a dictionary
read), then with the gateway restarted with STAFF_CACHE_SECONDS=0 (every request asks workflow's
`resolve_officer`). The difference is what a cache miss adds to a request. Then, in this process, the cache hit
itself (OfficerDirectory.effective) and the bare `resolve_officer` RPC through a standalone nameko proxy.
BENCH_STAFF_REQUESTS changes the count.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
import zlib

import requests

from devtools.platform import Platform
from devtools.ports import free_port
from devtools.rabbit import RabbitMQ
from services.chassis.config import REPO_ROOT

VAR = REPO_ROOT / "var" / "bench-staff"
REQUESTS = int(os.environ.get("BENCH_STAFF_REQUESTS", "1000"))
OFFICER = "demo.stp.motcua"  # devtools/demo.py
SERVICES = ("registry", "workflow", "gateway")


def timed(session: requests.Session, url: str, headers: dict, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        started = time.perf_counter()
        answer = session.get(url, headers=headers, timeout=30)
        latencies.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return latencies


def summary(name: str, latencies: list[float], unit: str = "ms") -> dict:
    scale = 1000 if unit == "ms" else 1_000_000
    q = statistics.quantiles(latencies, n=100)
    row = {
        "name": name,
        "n": len(latencies),
        "unit": unit,
        "mean": statistics.fmean(latencies) * scale,
        "p50": q[49] * scale,
        "p95": q[94] * scale,
        "p99": q[98] * scale,
    }
    print(
        f"  {name:<46} n={row['n']:>6}  mean {row['mean']:7.2f} {unit}  p50 {row['p50']:7.2f}  "
        f"p95 {row['p95']:7.2f}  p99 {row['p99']:7.2f}",
        flush=True,
    )
    return row


def http_phase(platform: Platform, label: str) -> dict:
    base = f"http://127.0.0.1:{platform.http_port}"
    session = requests.Session()
    claims = {"sub": OFFICER, "kind": "officer", "unit": "000.00.07.H41", "roles": ["receiver"]}
    for _ in range(60):  # the gateway's HTTP server and its first answers from workflow, just after start
        try:
            minted = session.post(f"{base}/dev/token", json=claims, timeout=10)
            if minted.status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(1)
    token = minted.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/v1/queue"
    timed(session, url, headers, 20)  # warm: connections, prepared statements, the first resolution
    return summary(label, timed(session, url, headers, REQUESTS))


def in_process(amqp_uri: str) -> list[dict]:
    """The cache hit alone, and the bare RPC a miss makes (a standalone proxy, as bench/run.py's B2)."""
    code = f"""
import eventlet; eventlet.monkey_patch()
import json, time
from nameko.standalone.rpc import ClusterRpcProxy
from services.gateway.identity import Principal
from services.gateway.staff import OfficerDirectory
claims = {{"subject": "{OFFICER}", "unit": "000.00.07.H41", "roles": ["receiver"], "name": "", "groups": [], "email": ""}}
with ClusterRpcProxy({{"AMQP_URI": "{amqp_uri}"}}, timeout=30) as rpc:
    answer = rpc.workflow.resolve_officer(claims)
    rpc_lat = []
    for _ in range({REQUESTS}):
        t0 = time.perf_counter(); rpc.workflow.resolve_officer(claims); rpc_lat.append(time.perf_counter() - t0)
officers = OfficerDirectory(30, ask=lambda c: answer)
me = Principal("{OFFICER}", "officer", "", "000.00.07.H41", frozenset({{"receiver"}}), "bench")
officers.effective(me)
hit_lat = []
for _ in range(100 * {REQUESTS}):
    t0 = time.perf_counter(); officers.effective(me); hit_lat.append(time.perf_counter() - t0)
print(json.dumps({{"rpc": rpc_lat, "hit": hit_lat}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ.copy()
    ).stdout
    import json

    measured = json.loads(out.strip().splitlines()[-1])
    return [
        summary("resolve_officer RPC alone (what a miss adds)", measured["rpc"]),
        summary("cache hit alone (OfficerDirectory.effective)", measured["hit"], unit="µs"),
    ]


def main() -> int:
    shutil.rmtree(VAR, ignore_errors=True)
    # A port of this checkout's own below the ephemeral range (RabbitMQ also takes port + 20000).
    broker = RabbitMQ(VAR / "rabbitmq", port=6100 + zlib.crc32(str(REPO_ROOT).encode()) % 300)
    broker.start()
    env = {
        "MOTCUA_ENV": "local",
        "AMQP_URI": broker.amqp_uri,
        "DATABASE_URL": f"sqlite:///{VAR}/data/{{service}}.db",
        "DEV_IDP_KEY": str(VAR / "dev-idp" / "key.pem"),
        "PYTHONWARNINGS": "ignore",
        "STAFF_DIRECTORY_MODE": "directory",
        "RATE_LIMIT_LOOKUP": "1000000/60",
    }
    http_port = free_port()
    platform = Platform(
        env=dict(env, PUBLIC_URL=f"http://127.0.0.1:{http_port}"),
        log_dir=VAR / "logs",
        services=SERVICES,
        http_port=http_port,
        metrics_ports={name: free_port() for name in SERVICES},
    )
    rows = []
    try:
        platform.migrate()
        subprocess.run(
            [sys.executable, "-m", "devtools.demo"], env=platform.service_env("workflow"), check=True
        )
        platform.declare_topology()
        platform.start_all()
        print(
            f"\nOfficer resolution on the request path ({REQUESTS} sequential GET /api/v1/queue, one officer):"
        )
        rows.append(http_phase(platform, "cache on (STAFF_CACHE_SECONDS=30): hits"))
        platform.stop("gateway")
        platform.env["STAFF_CACHE_SECONDS"] = "0"
        platform.start("gateway")
        rows.append(http_phase(platform, "cache off (STAFF_CACHE_SECONDS=0): misses"))
        rows.extend(in_process(broker.amqp_uri))
    finally:
        platform.stop_all()
        broker.stop()
    added = rows[1]["mean"] - rows[0]["mean"]
    print(
        f"\n  a miss adds {added:.2f} ms to a request (mean); a hit costs {rows[3]['mean']:.1f} µs and no RPC"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
