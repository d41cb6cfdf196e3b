"""`make bench`: figures for the dossier path and the ceilings it runs under, measured in the same run.

B0 raw broker ceiling (kombu, persistent messages, publisher confirms; consume with acks), B1 raw database
ceiling (one dossier-sized row per transaction), B3 end to end (HTTP submission → notification handed to SMTP,
all services on PostgreSQL) in closed loop. Prints a table with ratios and writes JSON to bench/results/.
Set BENCH_DOSSIERS, BENCH_CLIENTS, BENCH_MESSAGES to change the sizes.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests
from kombu import Connection, Exchange, Queue
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine

from devtools.platform import Platform
from devtools.postgres import Postgres
from devtools.rabbit import RabbitMQ
from devtools.smtp_sink import SmtpSink, read_messages
from services.chassis.config import REPO_ROOT

VAR = REPO_ROOT / "var" / "bench"
RESULTS = REPO_ROOT / "bench" / "results"
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "5000"))
ROWS = int(os.environ.get("BENCH_ROWS", "2000"))
DOSSIERS = int(os.environ.get("BENCH_DOSSIERS", "300"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
PAYLOAD = {"form": "x" * 1500}  # about the size of a dossier event


def b0_broker(amqp_uri: str) -> dict:
    queue = Queue(f"bench-{uuid.uuid4().hex[:6]}", Exchange("bench", type="direct", durable=True), "bench",
                  durable=True)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer(serializer="json")
        queue(conn.channel()).declare()
        started = time.perf_counter()
        for _ in range(MESSAGES):
            producer.publish(PAYLOAD, exchange=queue.exchange, routing_key="bench", delivery_mode=2)
        publish_rate = MESSAGES / (time.perf_counter() - started)
        received = 0

        def on_message(body, message):
            nonlocal received
            received += 1
            message.ack()

        started = time.perf_counter()
        with conn.Consumer(queue, callbacks=[on_message], accept=["json"], prefetch_count=100):
            while received < MESSAGES:
                conn.drain_events(timeout=10)
        consume_rate = MESSAGES / (time.perf_counter() - started)
        queue(conn.channel()).delete()
    return {"publish_per_s": publish_rate, "consume_per_s": consume_rate}


def b1_database(url: str) -> dict:
    engine = create_engine(url)
    md = MetaData()
    table = Table(f"bench_{uuid.uuid4().hex[:6]}", md, Column("id", Integer, primary_key=True),
                  Column("code", String(60)), Column("body", Text))
    md.create_all(engine)
    started = time.perf_counter()
    for i in range(ROWS):
        with engine.begin() as conn:
            conn.execute(table.insert().values(code=f"000.00.07.H41-261122-{i:04d}", body=json.dumps(PAYLOAD)))
    rate = ROWS / (time.perf_counter() - started)
    md.drop_all(engine)
    engine.dispose()
    return {"inserts_per_s": rate}


def b3_end_to_end(base_url: str, mail_dir: Path) -> dict:
    token = requests.post(f"{base_url}/dev/token", json={"sub": "037090000001"}, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(DOSSIERS))
    before = len(read_messages(mail_dir))

    def client():
        nonlocal errors
        session = requests.Session()
        for _ in iter(lambda: next(counter, None), None):
            t0 = time.perf_counter()
            response = session.post(f"{base_url}/api/v1/dossiers", headers=headers, timeout=30,
                                    json={"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}})
            with lock:
                latencies.append(time.perf_counter() - t0)
                errors += response.status_code != 201

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted_s = time.perf_counter() - started
    deadline = time.monotonic() + 300
    while len(read_messages(mail_dir)) - before < DOSSIERS - errors and time.monotonic() < deadline:
        time.sleep(0.2)
    total_s = time.perf_counter() - started
    delivered = len(read_messages(mail_dir)) - before
    q = statistics.quantiles(latencies, n=100)
    return {"dossiers": DOSSIERS, "clients": CLIENTS, "errors": errors, "notified": delivered,
            "accepted_per_s": DOSSIERS / accepted_s, "end_to_end_per_s": delivered / total_s,
            "p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}


def main() -> int:
    shutil.rmtree(VAR, ignore_errors=True)
    broker = RabbitMQ(VAR / "rabbitmq", port=5692)
    pg = Postgres(VAR / "pg", port=55442, fast=False)
    sink = SmtpSink(VAR / "mail", 21025, 21026)
    results: dict = {"when": datetime.now(timezone.utc).isoformat(), "machine": {"cpus": os.cpu_count()}}
    platform = None
    try:
        broker.start()
        pg.start()
        sink.start()
        results["B0"] = b0_broker(broker.amqp_uri)
        pg.create_database("bench")
        results["B1"] = b1_database(pg.url("bench"))
        env = {"MOTCUA_ENV": "local", "AMQP_URI": broker.amqp_uri, "DATABASE_URL": pg.url("bench_{service}"),
               "SMTP_PORT": "21025", "DEV_IDP_KEY": str(VAR / "dev-idp" / "key.pem"), "LOG_LEVEL": "WARNING",
               "MAX_WORKERS": "30"}
        platform = Platform(env=env, log_dir=VAR / "logs", port_offset=2000, http_port=18000)
        platform.migrate()
        subprocess.run([sys.executable, "-m", "services.registry.demo"], env=platform.service_env("registry"),
                       cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
        platform.declare_topology()
        platform.start_all()
        results["B3"] = b3_end_to_end("http://127.0.0.1:18000", VAR / "mail")
    finally:
        if platform is not None:
            platform.stop_all()
        sink.stop()
        pg.stop()
        broker.stop()
    # Each dossier costs at least 4 broker messages on the path (2 RPC round trips = 4, 2 events, 1 more event).
    b3, b0, b1 = results["B3"], results["B0"], results["B1"]
    messages_per_dossier = 4 * 2 + 3
    results["ratios"] = {
        "B3_broker_msgs_per_s_over_B0_publish": b3["end_to_end_per_s"] * messages_per_dossier / b0["publish_per_s"],
        "B3_dossiers_per_s_over_B1_inserts": b3["end_to_end_per_s"] / b1["inserts_per_s"],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"""
| benchmark | figure |
|---|---|
| B0 broker publish (persistent, confirms) | {b0['publish_per_s']:.0f} msg/s |
| B0 broker consume (acks) | {b0['consume_per_s']:.0f} msg/s |
| B1 database inserts (1 row/transaction, PostgreSQL) | {b1['inserts_per_s']:.0f} rows/s |
| B3 submissions accepted ({b3['clients']} clients, closed loop) | {b3['accepted_per_s']:.1f} dossiers/s |
| B3 end to end (HTTP → SMTP) | {b3['end_to_end_per_s']:.1f} dossiers/s, {b3['notified']}/{b3['dossiers']} notified, {b3['errors']} errors |
| B3 submission latency | p50 {b3['p50_ms']:.0f} ms, p95 {b3['p95_ms']:.0f} ms, p99 {b3['p99_ms']:.0f} ms |
| ratio B3 broker msgs/s ÷ B0 | {results['ratios']['B3_broker_msgs_per_s_over_B0_publish']:.2f} |
| ratio B3 dossiers/s ÷ B1 | {results['ratios']['B3_dossiers_per_s_over_B1_inserts']:.2f} |
results: {out.relative_to(REPO_ROOT)}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
