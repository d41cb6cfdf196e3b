"""`make bench`: figures for the dossier path and the ceilings it runs under, measured in the same run.

B0 raw broker ceiling (kombu, persistent messages, publisher confirms; consume with acks), B1 raw database
ceiling (one dossier-sized row per transaction), B3 end to end (HTTP submission → notification handed to SMTP,
all services on PostgreSQL) in closed loop, B2 nameko RPC round trips to a running service, B4 the messaging floor
(bench/floor.py: CPU per bare nameko RPC and per event, and the dossier rate those alone would allow on this
machine). In B3 a receiving officer (ReceiptDesk) works the receipt queue through the API while the clients file:
a filed dossier waits for receipt, and the e-mail B3 counts is the receipt's. Prints a table with ratios and writes JSON to bench/results/.
Set BENCH_DOSSIERS, BENCH_CLIENTS, BENCH_MESSAGES to change the sizes. BENCH_PROFILE=1 samples every service
with py-spy during B3 and prints where each one spends its time (top functions by own and total samples; raw
stacks in bench/results/profile-*). BENCH_PROFILE=cpu profiles every service on CPU time instead (yappi, per green
thread: what used the processor, not what waited; needs `.venv/bin/pip install yappi`).
BENCH_SKIP_OPEN_LOOP=1 skips the open-loop table.
Then the scale figures (bench/scale.py): the platform on a PostgreSQL holding a province's data (1,000,000
dossiers); BENCH_SKIP_SCALE=1 skips them, BENCH_ONLY=scale runs only them.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
import zlib
from datetime import datetime, timezone
from pathlib import Path
from queue import Empty, SimpleQueue

import requests
from kombu import Connection, Exchange, Queue
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine

from bench import scale, statements
from devtools.platform import Platform
from devtools.postgres import Postgres
from devtools.rabbit import RabbitMQ
from devtools.smtp_sink import SmtpSink
from services.chassis.config import METRICS_PORTS, REPO_ROOT

VAR = REPO_ROOT / "var" / "bench"
RESULTS = REPO_ROOT / "bench" / "results"
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "5000"))
ROWS = int(os.environ.get("BENCH_ROWS", "2000"))
DOSSIERS = int(os.environ.get("BENCH_DOSSIERS", "300"))
RPC_CALLS = int(os.environ.get("BENCH_RPC_CALLS", "1000"))
RATES = [float(r) for r in os.environ.get("BENCH_RATES", "25,50,100,200").split(",")]
SECONDS_PER_RATE = float(os.environ.get("BENCH_SECONDS_PER_RATE", "10"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
# The tenfold deadline-day burst (issue #24): 100 dossiers/s for 30 s, then how long the backlog takes to drain.
BURST = (float(os.environ.get("BENCH_BURST_RATE", "100")), float(os.environ.get("BENCH_BURST_SECONDS", "30")))
BENCH_AMQP_PORT = 5692
BENCH_PORT_OFFSET = 2000
PAYLOAD = {"form": "x" * 1500}  # about the size of a dossier event


def mail_count(mail_dir: Path) -> int:
    """Messages the SMTP sink has kept so far: a cheap count while waiting (parsing every message on each poll
    would take a core from the platform being measured)."""
    return sum(1 for _ in Path(mail_dir).glob("*.eml"))


def notified_codes(mail_dir: Path, seen_before: set[str]) -> set[str]:
    """Dossier codes of the messages kept since `seen_before` (file names): read once, after the run."""
    codes = set()
    for path in Path(mail_dir).glob("*.eml"):
        if path.name in seen_before:
            continue
        for line in path.read_bytes().split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
            if line.lower().startswith(b"x-motcua-dossier-code:"):
                codes.add(line.split(b":", 1)[1].strip().decode())
    return codes


def mail_names(mail_dir: Path) -> set[str]:
    return {path.name for path in Path(mail_dir).glob("*.eml")}


# The messages of the benchmark's dossier path (procedure 1.000656, no stored documents asked for, routes cached).
# RPCs: gateway→intake submit (the citizen's filing), intake→registry person (once only: the registry holds the
# applicant and logs each read for them), gateway→workflow receive (the officer's receipt, Decree 118/2025),
# payment→intake dossier (the form and the payer's name the fee is assessed on). Events: DossierSubmitted (opens
# the case; agencies' feeds), ApplicantContactRecorded (private, to notify: contact details kept off public events),
# DossierStatusChanged (the receipt: the citizen's e-mail and the fee), PaymentRequested, NotificationSent.
PATH_RPCS, PATH_EVENTS = 4, 5
PROCEDURE = "1.000656"  # Cấp Phiếu lý lịch tư pháp: fee 200,000 VND, one online form, province justice
DESK_OFFICERS = int(os.environ.get("BENCH_DESK_OFFICERS", "4"))
DESK_IDLE_S = float(os.environ.get("BENCH_DESK_IDLE_S", "0.25"))
RECEIVING_UNIT = "000.00.07.H41"  # competent agency of the benchmark's procedure (1.000656, province justice)


class ReceiptDesk:
    """The receiving officers of the benchmark's unit: work the receipt queue through the API (a filed dossier
    waits for an officer, Decree 118/2025; the receipt e-mail B3 counts is sent when it is received). Each officer
    lists up to 200 waiting dossiers and receives, one by one, those that are theirs (the dossiers are shared out
    by their code, so two officers never race for one), as a desk with several officers does. One officer alone
    caps the rate at one receipt per round trip (about 26 ms: 38 dossiers/s on this machine), whatever the
    platform could carry. `procedure` limits the queue to the benchmark's own dossiers (the scale stage's agency
    holds thousands of generated ones)."""

    def __init__(
        self,
        base_url: str,
        unit: str = RECEIVING_UNIT,
        procedure: str | None = None,
        officers: int = DESK_OFFICERS,
        only: set[str] | None = None,
    ):
        self.base_url, self.procedure, self.officers, self.only = base_url, procedure, officers, only
        self.headers = []
        for n in range(officers):
            token = requests.post(
                f"{base_url}/dev/token",
                json={
                    "sub": f"bench-desk-{n}",
                    "kind": "officer",
                    "unit": unit,
                    "roles": ["receiver"],
                    "ttl_seconds": 86400,
                },
                timeout=10,
            ).json()["access_token"]
            self.headers.append({"Authorization": f"Bearer {token}"})
        self.stopped = threading.Event()
        self.counts = [0] * officers
        self.threads = [
            threading.Thread(target=self._officer, args=(n,), daemon=True) for n in range(officers)
        ]

    @property
    def received(self) -> int:
        return sum(self.counts)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _officer(self, n: int) -> None:
        session, headers = requests.Session(), self.headers[n]
        params = {
            "status": "submitted",
            "limit": "200",
            **({"procedure_code": self.procedure} if self.procedure else {}),
        }
        while not self.stopped.is_set():
            try:
                page = session.get(
                    f"{self.base_url}/api/v1/queue", headers=headers, timeout=30, params=params
                )
                items = page.json().get("items", []) if page.status_code == 200 else []
                mine = [
                    i
                    for i in items
                    if zlib.crc32(i["dossier_code"].encode()) % self.officers == n
                    and (self.only is None or i["dossier_code"] in self.only)
                ]
                for item in mine:
                    done = session.post(
                        f"{self.base_url}/api/v1/dossiers/{item['dossier_code']}/actions",
                        headers=headers,
                        json={"action": "receive"},
                        timeout=30,
                    )
                    self.counts[n] += done.status_code == 200
            except (requests.RequestException, ValueError):
                mine = []
            if not mine:  # nothing waiting for this officer: look again a little later (each look is a page)
                self.stopped.wait(DESK_IDLE_S)

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(30)


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    memory = next(
        (
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": memory}


def b0_broker(amqp_uri: str) -> dict:
    queue = Queue(
        f"bench-{uuid.uuid4().hex[:6]}", Exchange("bench", type="direct", durable=True), "bench", durable=True
    )
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
    table = Table(
        f"bench_{uuid.uuid4().hex[:6]}",
        md,
        Column("id", Integer, primary_key=True),
        Column("code", String(60)),
        Column("body", Text),
    )
    md.create_all(engine)
    started = time.perf_counter()
    for i in range(ROWS):
        with engine.begin() as conn:
            conn.execute(
                table.insert().values(code=f"000.00.07.H41-261122-{i:04d}", body=json.dumps(PAYLOAD))
            )
    rate = ROWS / (time.perf_counter() - started)
    md.drop_all(engine)
    engine.dispose()
    return {"inserts_per_s": rate}


def b2_rpc(amqp_uri: str) -> dict:
    """nameko RPC round trips to a running service (registry.health): one caller, then many in parallel."""
    code = f"""
import eventlet; eventlet.monkey_patch()
import json, time, statistics
from nameko.standalone.rpc import ClusterRpcProxy
out = {{}}
with ClusterRpcProxy({{"AMQP_URI": "{amqp_uri}"}}, timeout=30) as rpc:
    rpc.registry.health()
    lat = []
    for _ in range({RPC_CALLS}):
        t0 = time.perf_counter(); rpc.registry.health(); lat.append(time.perf_counter() - t0)
    q = statistics.quantiles(lat, n=100)
    out["one_caller"] = {{"calls_per_s": len(lat) / sum(lat), "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}}
lat = []
def caller(n):
    # A standalone proxy serves one caller at a time: each concurrent caller has its own (reused) proxy.
    with ClusterRpcProxy({{"AMQP_URI": "{amqp_uri}"}}, timeout=30) as own:
        own.registry.health()
        for _ in range(n):
            t0 = time.perf_counter(); own.registry.health(); lat.append(time.perf_counter() - t0)
pool = eventlet.GreenPool(20)
t0 = time.perf_counter()
list(pool.imap(caller, [{RPC_CALLS} // 20] * 20))
elapsed = time.perf_counter() - t0
q = statistics.quantiles(lat, n=100)
out["twenty_callers"] = {{"calls_per_s": len(lat) / elapsed, "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000}}
print(json.dumps(out))
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"B2 failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def rabbit_pids() -> list[int]:
    """The benchmark broker's processes (told apart by their AMQP port, as in cpu_snapshot): the server and its
    helpers, not a `rabbitmqctl` that happens to run meanwhile (it shares the environment and is gone a moment
    later: its /proc entry vanished under the floor's test once)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if f"RABBITMQ_NODE_PORT={BENCH_AMQP_PORT}".encode() in environ and b"escript" not in cmdline:
                pids.append(int(entry.name))
    return pids


def _line_from(process: subprocess.Popen, timeout: float) -> str:
    """The next line `process` writes, or "" if none comes within `timeout` seconds (a benchmark must end with
    an error, not hang, when the bare service stops answering)."""
    lines: SimpleQueue = SimpleQueue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except Empty:
        return ""


def b4_floor(amqp_uri: str) -> dict:
    """B4, the messaging floor (bench/floor.py): CPU per bare nameko RPC round trip and per event, summed over
    every process involved (callers or publisher, the bare service, RabbitMQ), with nothing else running."""
    service = subprocess.Popen(
        [sys.executable, "-m", "bench.floor", amqp_uri],
        cwd=REPO_ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        if _line_from(service, 60).strip() != "ready":
            raise RuntimeError("B4: the bare service did not start")
        calls = RPC_CALLS * 2
        rpc_seconds, rpc_cpu = _b4_rpc(service, amqp_uri, calls)
        events = MESSAGES
        event_seconds, event_cpu = _b4_events(service, amqp_uri, events)
    finally:
        service.terminate()
        try:
            service.wait(timeout=10)
        except subprocess.TimeoutExpired:
            service.kill()
    return _b4_figures(calls, rpc_seconds, rpc_cpu, events, event_seconds, event_cpu)


def _b4_rpc(service: subprocess.Popen, amqp_uri: str, calls: int) -> tuple[float, list[float]]:
    """`calls` bare RPC round trips from 20 callers: seconds, and CPU seconds of [service, broker,
    callers]."""
    # The callers measure the CPU themselves, of their own process, the service and the broker, over the
    # calls only: not the interpreter's start, nor opening the 20 proxies and declaring their reply queues.
    code = f"""
import eventlet; eventlet.monkey_patch()
import contextlib, json, os, time
from nameko.standalone.rpc import ClusterRpcProxy
from services.chassis.run import _fast_rpc_replies
_fast_rpc_replies()
def cpu(pid):
    try:
        stat = open(f"/proc/{{pid}}/stat").read().rpartition(")")[2].split()
    except FileNotFoundError:  # a broker helper that ended meanwhile
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
def snapshot():
    return cpu({service.pid}), sum(cpu(pid) for pid in {rabbit_pids()!r}), time.process_time()
with contextlib.ExitStack() as stack:
    proxies = [stack.enter_context(ClusterRpcProxy({{"AMQP_URI": "{amqp_uri}"}}, timeout=30)) for _ in range(20)]
    for proxy in proxies:
        proxy.bench_floor.ping()
    def caller(proxy):
        for _ in range({calls // 20}):
            proxy.bench_floor.ping()
    before, t0 = snapshot(), time.perf_counter()
    list(eventlet.GreenPool(20).imap(caller, proxies))
    seconds, after = time.perf_counter() - t0, snapshot()
print(json.dumps({{"seconds": seconds, "cpu": [a - b for a, b in zip(after, before)]}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"B4 RPC failed:\n{result.stderr[-3000:]}")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    rpc_seconds, (service_s, rabbit_s, callers_s) = measured["seconds"], measured["cpu"]
    return rpc_seconds, [service_s, rabbit_s, callers_s]


def _b4_events(service: subprocess.Popen, amqp_uri: str, events: int) -> tuple[float, list[float]]:
    """`events` events published with confirms, until the bare service handled the last: seconds, and CPU
    seconds of [service, broker, publisher]."""
    exchange = Exchange("bench_floor_src.events", type="topic", durable=True)
    before = (process_cpu(service.pid), cpu_snapshot().get("rabbitmq", 0.0), time.process_time())
    started = time.perf_counter()
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer(serializer="json")
        for _ in range(events):
            producer.publish(
                {**PAYLOAD, "expect": events},
                exchange=exchange,
                routing_key="ping",
                delivery_mode=2,
                declare=[exchange],
                retry=False,
            )
    line = _line_from(service, 120).split()  # "received N" once the last event is handled
    event_seconds = time.perf_counter() - started
    after = (process_cpu(service.pid), cpu_snapshot().get("rabbitmq", 0.0), time.process_time())
    if line[:1] != ["received"]:
        raise RuntimeError("B4: the bare service stopped, or did not receive every event within 120 s")
    return event_seconds, [a - b for a, b in zip(after, before, strict=True)]


def _b4_figures(
    calls: int,
    rpc_seconds: float,
    rpc_cpu: list[float],
    events: int,
    event_seconds: float,
    event_cpu: list[float],
) -> dict:
    cores = os.cpu_count() or 1
    rpc_ms = 1000 * sum(rpc_cpu) / calls
    event_ms = 1000 * sum(event_cpu) / events
    # The dossier path's messages (see PATH_RPCS and PATH_EVENTS): four RPC round trips (the officer's receipt
    # among them), five events (some delivered to two queues: counted once, so the floor below is if anything too
    # generous; the desk's queue listing, one RPC per up to 200 dossiers, is left out too).
    path_ms = PATH_RPCS * rpc_ms + PATH_EVENTS * event_ms
    # The fewest any design could have: the submission's RPC, the officer's receipt RPC, the submission's event to
    # workflow, the status event to notify.
    least_ms = 2 * rpc_ms + 2 * event_ms
    return {
        "rpc": {
            "calls": calls,
            "callers": 20,
            "calls_per_s": calls / rpc_seconds,
            "cpu_ms_per_call": rpc_ms,
            "cpu_ms_split": {
                "callers": 1000 * rpc_cpu[2] / calls,
                "service": 1000 * rpc_cpu[0] / calls,
                "rabbitmq": 1000 * rpc_cpu[1] / calls,
            },
        },
        "events": {
            "events": events,
            "events_per_s": events / event_seconds,
            "cpu_ms_per_event": event_ms,
            "cpu_ms_split": {
                "publisher": 1000 * event_cpu[2] / events,
                "service": 1000 * event_cpu[0] / events,
                "rabbitmq": 1000 * event_cpu[1] / events,
            },
        },
        "path_cpu_ms": path_ms,
        "path_ceiling_per_s": cores * 1000 / path_ms,
        "least_cpu_ms": least_ms,
        "least_ceiling_per_s": cores * 1000 / least_ms,
    }


def open_loop(base_url: str, mail_dir: Path, rate: float, seconds: float) -> dict:
    """Submissions at a fixed rate regardless of how fast answers come (open loop): latency at that load."""
    headers = citizen_headers(base_url)
    total = int(rate * seconds)
    latencies, errors, lock, accepted = [], [0], threading.Lock(), []
    before, before_names = mail_count(mail_dir), mail_names(mail_dir)
    sessions = threading.local()
    desk = ReceiptDesk(base_url)
    desk.start()

    def fire(due: float):
        session = getattr(sessions, "s", None) or requests.Session()
        sessions.s = session
        # Latency counts from when the submission was due, not from when a sender thread got to it: a platform
        # that falls behind must show its queue, not hide it in the load generator (coordinated omission).
        t0 = due
        code = None
        try:
            response = submit(session, base_url, headers)
            if response.status_code == 201:
                code = response.json()["code"]
        except requests.RequestException:
            pass
        with lock:
            latencies.append(time.perf_counter() - t0)
            errors[0] += code is None
            if code:
                accepted.append(code)

    started = time.perf_counter()
    fire_at_rate(fire, rate, total, started)
    wait_for_mail(mail_dir, before, total - errors[0], timeout=300, poll=0.2)
    drained = time.perf_counter() - started
    desk.stop()
    notified = len(set(accepted) & notified_codes(mail_dir, before_names))
    return {
        "rate": rate,
        "seconds": seconds,
        "sent": total,
        "errors": errors[0],
        "notified": notified,
        **percentiles_ms(latencies),
        "drain_s": drained - seconds,
    }


def b3_end_to_end(
    base_url: str,
    mail_dir: Path,
    procedure: str = PROCEDURE,
    unit: str = RECEIVING_UNIT,
    dossiers: int | None = None,
) -> dict:
    """Closed loop: CLIENTS citizens file `dossiers` dossiers of `procedure` one after another each, while the
    desk of `unit` receives them; done when every accepted dossier's receipt e-mail is at the SMTP sink."""
    headers, dossiers = citizen_headers(base_url), dossiers or DOSSIERS  # DOSSIERS as set when called
    latencies, accepted, errors, lock = [], set(), 0, threading.Lock()
    counter = iter(range(dossiers))
    before, before_names = mail_count(mail_dir), mail_names(mail_dir)
    # Another procedure than the bench's own: a stored queue, whose waiting dossiers the desk leaves alone.
    desk = ReceiptDesk(
        base_url, unit, *((procedure, DESK_OFFICERS, accepted) if procedure != PROCEDURE else ())
    )

    def client():
        nonlocal errors
        session = requests.Session()
        for _ in iter(lambda: next(counter, None), None):
            t0 = time.perf_counter()
            response = submit(session, base_url, headers, procedure)
            with lock:
                latencies.append(time.perf_counter() - t0)
                errors += response.status_code != 201
                if response.status_code == 201:
                    accepted.add(response.json()["code"])

    started = time.perf_counter()
    desk.start()
    run_threads(client, CLIENTS)
    accepted_s = time.perf_counter() - started
    wait_for_mail(mail_dir, before, dossiers - errors, timeout=300, poll=0.05)
    delivered = wait_for_codes(mail_dir, before_names, accepted, deadline=started + 300)
    total_s = time.perf_counter() - started
    desk.stop()
    return {
        "dossiers": dossiers,
        "procedure": procedure,
        "desk_officers": desk.officers,
        "clients": CLIENTS,
        "errors": errors,
        "notified": delivered,
        "received_by_desk": desk.received,
        "accepted_per_s": dossiers / accepted_s,
        "end_to_end_per_s": delivered / total_s,
        **percentiles_ms(latencies),
    }


def wait_for_codes(mail_dir: Path, before_names: set[str], codes: set[str], deadline: float) -> int:
    """How many of `codes` have a message (counted by dossier: no loss, no double counting), waiting for the
    missing ones until `deadline` (perf_counter): the message count alone can be reached early by other
    messages (a stored queue's dossiers received meanwhile)."""
    delivered = len(codes & notified_codes(mail_dir, before_names))
    while delivered < len(codes) and time.perf_counter() < deadline:
        time.sleep(0.2)
        delivered = len(codes & notified_codes(mail_dir, before_names))
    return delivered


def run_threads(target, count: int) -> None:
    """`count` threads running `target`, until every one has ended."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def citizen_headers(base_url: str) -> dict[str, str]:
    """The benchmark citizen's Authorization header (a token from the development identity provider)."""
    answer = requests.post(f"{base_url}/dev/token", json={"sub": "037090000001"}, timeout=10)
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def submit(
    session: requests.Session, base_url: str, headers: dict[str, str], procedure: str = PROCEDURE
) -> requests.Response:
    """One dossier filed through the API: the benchmark's procedure (1.000656), no documents."""
    return session.post(
        f"{base_url}/api/v1/dossiers",
        headers=headers,
        timeout=30,
        json={"procedure_code": procedure, "applicant": {"id_number": "037090000001"}},
    )


def fire_at_rate(fire, rate: float, total: int, started: float) -> None:
    """`fire(due)` `total` times, the i-th due `i / rate` seconds after `started`, each on a pool thread (a
    slow answer never delays the next submission); returns when every call has ended."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(fire, started + i / rate)


def wait_for_mail(mail_dir: Path, before: int, expected: int, timeout: float, poll: float) -> None:
    """Until `expected` more messages than `before` are in the sink, or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while mail_count(mail_dir) - before < expected and time.monotonic() < deadline:
        time.sleep(poll)


def percentiles_ms(latencies: list[float]) -> dict[str, float]:
    q = statistics.quantiles(latencies, n=100)
    return {"p50_ms": q[49] * 1000, "p95_ms": q[94] * 1000, "p99_ms": q[98] * 1000}


def cpu_snapshot(pg_dir: Path = VAR / "pg", port_offset: int = BENCH_PORT_OFFSET) -> dict[str, float]:
    """CPU seconds used so far by each part of the platform, read from /proc: the services (told apart by their
    metrics port), the broker (by its AMQP port), PostgreSQL (the postmaster on the bench data directory and its
    backends) and this process (load generator and SMTP sink): where the two cores go during a benchmark."""
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rpartition(")")[2].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        env = dict(e.decode(errors="replace").partition("=")[::2] for e in environ if b"=" in e)
        own, reaped = int(stat[11]) + int(stat[12]), int(stat[13]) + int(stat[14])
        procs[int(entry.name)] = (int(stat[1]), cmdline, env, own / tick, reaped / tick)
    metrics = {METRICS_PORTS[name] + port_offset: name for name in METRICS_PORTS}
    postmasters = {pid for pid, (_, cmd, _, _, _) in procs.items() if str(pg_dir) in cmd}
    parts: dict[str, float] = {}
    for pid, (ppid, _cmd, env, seconds, reaped) in procs.items():
        if pid == os.getpid():
            name = "load generator + SMTP sink"
        elif env.get("METRICS_PORT", "").isdigit() and int(env["METRICS_PORT"]) in metrics:
            name = metrics[int(env["METRICS_PORT"])]
        elif env.get("RABBITMQ_NODE_PORT") == str(BENCH_AMQP_PORT):
            name = "rabbitmq"
        elif pid in postmasters:  # with its backends that ended (a closed connection's CPU stays counted)
            name, seconds = "postgresql", seconds + reaped
        elif ppid in postmasters:
            name = "postgresql"
        else:
            continue
        parts[name] = parts.get(name, 0.0) + seconds
    return parts


def postgresql_parts(pg_dir: Path = VAR / "pg") -> dict[str, float]:
    """PostgreSQL's CPU seconds so far by kind of process: the services' sessions, each background process
    (WAL writer, checkpointer, autovacuum...) and the processes that ended (reaped by the postmaster: closed
    sessions, finished autovacuum workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            stat = [int(x) for x in (entry / "stat").read_text().rpartition(")")[2].split()[1:15]]
        except (OSError, ValueError):
            continue
        procs[entry.name] = (cmdline, stat[0], (stat[10] + stat[11]) / tick, (stat[12] + stat[13]) / tick)
    # The postmaster, and whatever started it with the same data directory on its command line (runuser).
    postmasters = {pid for pid, p in procs.items() if str(pg_dir) in p[0]}
    parts = {
        "postmaster": sum(procs[pid][2] for pid in postmasters),
        "ended processes": sum(procs[pid][3] for pid in postmasters),
    }
    for pid, (cmdline, ppid, seconds, _) in procs.items():
        if str(ppid) in postmasters and pid not in postmasters:
            role = cmdline.removeprefix("postgres: ")
            kind = "sessions" if "127.0.0.1(" in role or "[local]" in role else role
            parts[kind] = parts.get(kind, 0.0) + seconds
    return parts


def handler_seconds(platform: Platform) -> dict[str, tuple[float, float]]:
    """(count, total seconds) per entrypoint of every service, from its /metrics (motcua_handler_duration_seconds):
    subtract two readings to see how long each step of the dossier path took on average."""
    import urllib.request

    out = {}
    for name in platform.processes:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{platform.metrics_port(name)}/metrics", timeout=30
        ) as r:
            text = r.read().decode()
        for line in text.splitlines():
            if not line.startswith("motcua_handler_duration_seconds_"):
                continue
            metric, _, value = line.rpartition(" ")
            kind = metric.split("{")[0].rsplit("_", 1)[-1]
            if kind not in ("count", "sum"):
                continue
            labels = dict(part.split("=", 1) for part in metric.split("{", 1)[1].rstrip("}").split(","))
            key = f"{name}.{labels.get('entrypoint', '?').strip(chr(34))}"
            count, total = out.get(key, (0.0, 0.0))
            out[key] = (count + float(value), total) if kind == "count" else (count, total + float(value))
    return out


def sessions_opened(pg: Postgres) -> dict[str, int]:
    """Connections each service's database has accepted so far (pg_stat_database.sessions): a pool that opens
    and closes connections under load makes PostgreSQL start a backend for each."""
    rows = pg.query("SELECT datname, sessions FROM pg_stat_database WHERE datname LIKE 'bench\\_%'")
    return {name.removeprefix("bench_"): int(n or 0) for name, n in rows}


def sql_per_dossier(pg: Postgres, dossiers: int) -> dict:
    """Statements each service's database ran per dossier during B3 (pg_stat_statements, reset before it),
    transactions among them (COMMIT), and the statements run most often."""
    rows = pg.query(
        "SELECT d.datname, s.query, s.calls FROM pg_stat_statements s JOIN pg_database d "
        "ON d.oid = s.dbid WHERE d.datname LIKE 'bench\\_%'"
    )
    per_service: dict[str, dict] = {}
    top = []
    for datname, query, calls in rows:
        service = datname.removeprefix("bench_")
        entry = per_service.setdefault(service, {"statements": 0.0, "transactions": 0.0})
        entry["statements"] += calls / dossiers
        if query.strip().upper() == "COMMIT":
            entry["transactions"] += calls / dossiers
        top.append((calls / dossiers, service, " ".join(query.split())[:160]))
    top.sort(reverse=True)
    return {
        "services": {k: {n: round(v, 1) for n, v in e.items()} for k, e in sorted(per_service.items())},
        "top": [{"per_dossier": round(n, 2), "service": s, "query": q} for n, s, q in top if n >= 0.05],
    }


def cpu_used(before: dict, after: dict, seconds: float) -> dict[str, float]:
    """Share of one core each part used over `seconds` (1.0 = a whole core)."""
    return {
        name: round((after.get(name, 0.0) - before.get(name, 0.0)) / seconds, 3)
        for name in sorted(after, key=lambda n: before.get(n, 0.0) - after[n])
    }


def start_profilers(platform: Platform) -> list[tuple[str, subprocess.Popen, Path]]:
    """py-spy on every service process (sampling, 100 Hz, idle threads excluded) for the length of B3."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        raise RuntimeError("BENCH_PROFILE needs py-spy: .venv/bin/pip install py-spy")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = []
    for name, proc in platform.processes.items():
        path = RESULTS / f"profile-{name}.txt"
        out.append(
            (
                name,
                subprocess.Popen(
                    [
                        str(spy),
                        "record",
                        "--pid",
                        str(proc.pid),
                        "--format",
                        "raw",
                        "--rate",
                        "100",
                        "--output",
                        str(path),
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
                path,
            )
        )
    time.sleep(1)
    return out


def stop_profilers(profilers) -> dict:
    """Stop the samplers and summarise: share of samples per service, and each one's top functions."""
    import signal
    from collections import Counter

    summary = {}
    for _name, proc, _path in profilers:
        proc.send_signal(signal.SIGINT)
    for name, proc, path in profilers:
        proc.wait(30)
        own, total, samples = Counter(), Counter(), 0
        if path.exists():
            for line in path.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                n = int(count)
                frames = stack.split(";")
                samples += n
                own[frames[-1]] += n
                for frame in set(frames):
                    total[frame] += n
        summary[name] = {"samples": samples, "own": own.most_common(12), "total": total.most_common(25)}
    grand = sum(v["samples"] for v in summary.values()) or 1
    for name, data in summary.items():
        print(
            f"\n== {name}: {data['samples']} samples ({100 * data['samples'] / grand:.0f}% of all services)"
        )
        for frame, n in data["own"]:
            print(f"   own {100 * n / max(data['samples'], 1):5.1f}%  {frame}")
        for frame, n in data["total"]:
            print(f"   tot {100 * n / max(data['samples'], 1):5.1f}%  {frame}")
    return summary


def cpu_profile_signal(platform: Platform, directory: Path, dump: bool) -> None:
    """Tell every service to start profiling over (SIGUSR2) or to write its profile (SIGUSR1, waited for)."""
    import signal

    for proc in platform.processes.values():
        proc.send_signal(signal.SIGUSR1 if dump else signal.SIGUSR2)
    deadline = time.monotonic() + 120
    while (
        dump
        and len(list(directory.glob("*.pstat"))) < len(platform.processes)
        and time.monotonic() < deadline
    ):
        time.sleep(0.5)


def cpu_profile_summary(directory: Path) -> dict:
    """Where each service's CPU went during B3 (yappi on CPU time, per green thread): own time per function and
    the cumulative time of the platform's own functions."""
    import io
    import pstats

    summary = {}
    for path in sorted(directory.glob("*.pstat")):
        service = path.stem.split("-")[0]
        stats = pstats.Stats(str(path), stream=io.StringIO())
        platform_code = str(REPO_ROOT / "services")
        rows = [
            (f"{Path(file).name}:{line} {func}", cc, tt, ct, file.startswith(platform_code))
            for (file, line, func), (cc, _nc, tt, ct, _callers) in stats.stats.items()
        ]
        total = sum(r[2] for r in rows) or 1e-9
        own = sorted(rows, key=lambda r: -r[2])[:20]
        ours = sorted((r for r in rows if r[4]), key=lambda r: -r[3])[:20]
        summary[service] = {
            "cpu_s": total,
            "own": [(r[0], round(r[2], 3), r[1]) for r in own],
            "cumulative": [(r[0], round(r[3], 3), r[1]) for r in ours],
        }
        print(f"\n== {service}: {total:.2f} CPU s in the profiled functions")
        for name, seconds, calls in summary[service]["own"]:
            print(f"   own {100 * seconds / total:5.1f}%  {calls:>7} calls  {name}")
        for name, seconds, calls in summary[service]["cumulative"]:
            print(f"   cum {100 * seconds / total:5.1f}%  {calls:>7} calls  {name}")
    return summary


def main() -> int:
    shutil.rmtree(VAR, ignore_errors=True)
    broker = RabbitMQ(VAR / "rabbitmq", port=BENCH_AMQP_PORT)
    results: dict = {"when": datetime.now(timezone.utc).isoformat(), "machine": machine()}
    only_scale = os.environ.get("BENCH_ONLY") == "scale"
    try:
        broker.start()
        if not only_scale:
            results.update(dossier_path(broker))
        if not os.environ.get("BENCH_SKIP_SCALE"):
            results["scale"] = scale.run(
                broker.amqp_uri
            )  # its own PostgreSQL and platform, after B3's stopped
    finally:
        broker.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
    if not only_scale:
        results["ratios"] = ratios(results)
    out.write_text(json.dumps(results, indent=2))
    print((report(results, out) if not only_scale else f"\nresults: {out.relative_to(REPO_ROOT)}\n"))
    if "scale" in results:
        print(scale.report(results["scale"]))
    return 0


def dossier_path(broker: RabbitMQ) -> dict:
    """B0 to B4 and the open loop: the dossier path on its own PostgreSQL (pg_stat_statements on) and platform."""
    # pg_stat_statements: how many statements (and transactions) each service runs per dossier.
    pg = Postgres(
        VAR / "pg",
        port=55442,
        fast=False,
        settings=("shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all"),
    )
    sink = SmtpSink(VAR / "mail", 21025, 21026)
    results: dict = {}
    platform = None
    try:
        pg.start()
        sink.start()
        results["B0"] = b0_broker(broker.amqp_uri)
        pg.create_database("bench")
        results["B1"] = b1_database(pg.url("bench"))
        results["B5"] = statements.measure(pg.url("bench", driver="postgresql"))
        results["B4"] = b4_floor(broker.amqp_uri)  # before the platform starts: nothing else on the machine
        env, cpu_dir = platform_env(broker.amqp_uri, pg)
        platform = Platform(env=env, log_dir=VAR / "logs", port_offset=BENCH_PORT_OFFSET, http_port=18000)
        platform.start_with_demo()
        results["B2"] = b2_rpc(broker.amqp_uri)
        results.update(b3_measured(platform, pg, cpu_dir))
        results["B3_open_loop"] = (
            []
            if os.environ.get("BENCH_SKIP_OPEN_LOOP")
            else [
                open_loop("http://127.0.0.1:18000", VAR / "mail", rate, seconds)
                for rate, seconds in [(rate, SECONDS_PER_RATE) for rate in RATES] + [BURST]
            ]
        )
    finally:
        if platform is not None:
            platform.stop_all()
        sink.stop()
        pg.stop()
    return results


def platform_env(amqp_uri: str, pg: Postgres) -> tuple[dict, Path | None]:
    """The services' environment on the benchmark's broker and PostgreSQL, and where CPU profiles go when
    BENCH_PROFILE=cpu (else None)."""
    env = {
        "MOTCUA_ENV": "local",
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": pg.url("bench_{service}"),
        "SMTP_PORT": "21025",
        "DEV_IDP_KEY": str(VAR / "dev-idp" / "key.pem"),
        "LOG_LEVEL": "WARNING",
        "MAX_WORKERS": "30",
        "RATE_LIMIT_SUBMIT": "100000000/60",
    }
    cpu_dir = None
    if os.environ.get("BENCH_PROFILE") == "cpu":
        cpu_dir = VAR / "cpu-profile"
        cpu_dir.mkdir(parents=True, exist_ok=True)
        env["MOTCUA_CPU_PROFILE"] = str(cpu_dir)
    return env, cpu_dir


def b3_measured(platform: Platform, pg: Postgres, cpu_dir: Path | None) -> dict:
    """B3 and what it cost: statements per dossier, CPU per process, time per entrypoint, and the profiles
    when asked for."""
    results: dict = {}
    profilers = start_profilers(platform) if os.environ.get("BENCH_PROFILE") not in (None, "", "cpu") else []
    if cpu_dir is not None:
        cpu_profile_signal(platform, cpu_dir, dump=False)  # start over: only B3 counts
    pg.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    pg.query("SELECT pg_stat_statements_reset()")
    sessions_before, pg_before = sessions_opened(pg), postgresql_parts()
    cpu_before, handlers_before, t0 = cpu_snapshot(), handler_seconds(platform), time.perf_counter()
    results["B3"] = b3_end_to_end("http://127.0.0.1:18000", VAR / "mail")
    results["B3_sql_per_dossier"] = sql_per_dossier(pg, results["B3"]["dossiers"])
    time.sleep(1)  # sessions are counted as their statistics are flushed (at most once a second)
    after = sessions_opened(pg)
    results["B3_connections_per_dossier"] = {
        name: round((after[name] - sessions_before.get(name, 0)) / results["B3"]["dossiers"], 2)
        for name in after
    }
    b3_seconds = time.perf_counter() - t0
    results["B3_cpu_cores"] = cpu_used(cpu_before, cpu_snapshot(), b3_seconds)
    pg_after = postgresql_parts()
    results["B3_postgresql_ms_per_dossier"] = {
        kind: round(1000 * (pg_after[kind] - pg_before.get(kind, 0.0)) / results["B3"]["dossiers"], 2)
        for kind in sorted(pg_after, key=lambda k: pg_before.get(k, 0.0) - pg_after[k])
        if pg_after[kind] - pg_before.get(kind, 0.0) > 0
    }
    results["B3_cpu_ms_per_dossier"] = (
        1000 * sum(results["B3_cpu_cores"].values()) * b3_seconds / results["B3"]["dossiers"]
    )
    results["B3_handler_mean_ms"] = handler_means(handlers_before, handler_seconds(platform))
    if profilers:
        results["profile"] = stop_profilers(profilers)
    if cpu_dir is not None:
        cpu_profile_signal(platform, cpu_dir, dump=True)
        results["cpu_profile"] = cpu_profile_summary(cpu_dir)
    return results


def handler_means(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]) -> dict:
    """Mean milliseconds per call of each entrypoint between two readings (those called at least 10 times)."""
    return {
        key: round(1000 * (total - before.get(key, (0, 0))[1]) / (count - before.get(key, (0, 0))[0]), 1)
        for key, (count, total) in sorted(after.items())
        if count - before.get(key, (0, 0))[0] >= 10
    }


def ratios(results: dict) -> dict:
    # Broker messages published per dossier on the benchmark's path: PATH_RPCS with their replies and PATH_EVENTS,
    # 13, plus the desk's queue listing (one RPC for up to 200 waiting dossiers).
    b3, b0, b1 = results["B3"], results["B0"], results["B1"]
    messages_per_dossier = PATH_RPCS * 2 + PATH_EVENTS
    return {
        "B3_cpu_per_dossier_over_B4_path_floor": results["B3_cpu_ms_per_dossier"]
        / results["B4"]["path_cpu_ms"],
        "B3_broker_msgs_per_s_over_B0_publish": b3["end_to_end_per_s"]
        * messages_per_dossier
        / b0["publish_per_s"],
        "B3_dossiers_per_s_over_B1_inserts": b3["end_to_end_per_s"] / b1["inserts_per_s"],
    }


def report(results: dict, out: Path) -> str:
    """The figures as printed: a table, the open-loop table, CPU and statements per dossier."""
    return (
        figures_table(results)
        + open_loop_table(results)
        + costs(results)
        + f"\n\nresults: {out.relative_to(REPO_ROOT)}\n"
    )


def figures_table(results: dict) -> str:
    """Every figure with its ceilings and ratios, one row each."""
    b3, b0, b1, b2, b4 = results["B3"], results["B0"], results["B1"], results["B2"], results["B4"]
    return f"""
Machine: {results["machine"]["cpus"]} × {results["machine"]["cpu_model"]}, {results["machine"]["memory_gib"]} GiB

| benchmark | figure |
|---|---|
| B0 broker publish (persistent, confirms) | {b0["publish_per_s"]:.0f} msg/s |
| B0 broker consume (acks) | {b0["consume_per_s"]:.0f} msg/s |
| B1 database inserts (1 row/transaction, PostgreSQL) | {b1["inserts_per_s"]:.0f} rows/s |
| B3 submissions accepted ({b3["clients"]} clients, closed loop) | {b3["accepted_per_s"]:.1f} dossiers/s |
| B3 end to end (HTTP → SMTP) | {b3["end_to_end_per_s"]:.1f} dossiers/s, {b3["notified"]}/{b3["dossiers"]} notified, {b3["errors"]} errors |
| B3 submission latency (closed loop) | p50 {b3["p50_ms"]:.0f} ms, p95 {b3["p95_ms"]:.0f} ms, p99 {b3["p99_ms"]:.0f} ms |
| B2 RPC, one caller | {b2["one_caller"]["calls_per_s"]:.0f} calls/s, p50 {b2["one_caller"]["p50_ms"]:.1f} ms, p99 {b2["one_caller"]["p99_ms"]:.1f} ms |
| B2 RPC, 20 callers | {b2["twenty_callers"]["calls_per_s"]:.0f} calls/s, p50 {b2["twenty_callers"]["p50_ms"]:.1f} ms, p99 {b2["twenty_callers"]["p99_ms"]:.1f} ms |
| B4 bare nameko RPC, 20 callers | {b4["rpc"]["calls_per_s"]:.0f} calls/s, {b4["rpc"]["cpu_ms_per_call"]:.2f} ms CPU per call ({", ".join(f"{k} {v:.2f}" for k, v in b4["rpc"]["cpu_ms_split"].items())}) |
| B4 bare event (kombu publish with confirms → nameko handler, ack) | {b4["events"]["events_per_s"]:.0f} events/s, {b4["events"]["cpu_ms_per_event"]:.2f} ms CPU per event ({", ".join(f"{k} {v:.2f}" for k, v in b4["events"]["cpu_ms_split"].items())}) |
| B4 messaging floor of the dossier path ({PATH_RPCS} RPCs + {PATH_EVENTS} events) | {b4["path_cpu_ms"]:.1f} ms CPU per dossier: at most {b4["path_ceiling_per_s"]:.0f} dossiers/s on {results["machine"]["cpus"]} cores |
| B4 fewest messages any design could have (2 RPCs + 2 events) | {b4["least_cpu_ms"]:.1f} ms CPU per dossier: at most {b4["least_ceiling_per_s"]:.0f} dossiers/s |
| B3 CPU per dossier (all processes) | {results["B3_cpu_ms_per_dossier"]:.1f} ms |
| ratio B3 broker msgs/s ÷ B0 | {results["ratios"]["B3_broker_msgs_per_s_over_B0_publish"]:.2f} |
| B5 PostgreSQL CPU per statement, sent as text (as psycopg2 does) or prepared | {statements.line(results["B5"]) if "B5" in results else "not run"} |
| ratio B3 dossiers/s ÷ B1 | {results["ratios"]["B3_dossiers_per_s_over_B1_inserts"]:.2f} |
| ratio B3 CPU per dossier ÷ B4 messaging floor of the path (issue #24's target: at most 2) | {results["ratios"]["B3_cpu_per_dossier_over_B4_path_floor"]:.1f} |
"""


def open_loop_table(results: dict) -> str:
    return f"""
Open loop (a fixed rate for the time given, latency counted from when each submission was due; the last row is
the deadline-day burst: {BURST[0]:.0f}/s for {BURST[1]:.0f} s):

| rate (dossiers/s) | for (s) | sent | errors | notified | p50 ms | p95 ms | p99 ms | drain after load (s) |
|---|---|---|---|---|---|---|---|---|
""" + "\n".join(
        f"| {r['rate']:.0f} | {r.get('seconds', SECONDS_PER_RATE):.0f} | {r['sent']} | {r['errors']} | {r['notified']} | {r['p50_ms']:.0f} | "
        f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['drain_s']:.1f} |"
        for r in results["B3_open_loop"]
    )


def costs(results: dict) -> str:
    """Where B3 went: CPU per part, time per entrypoint, statements per dossier."""
    return (
        "\n\nCPU during B3 (cores used, of "
        + str(results["machine"]["cpus"])
        + "): "
        + ", ".join(f"{k} {v:.2f}" for k, v in results["B3_cpu_cores"].items())
        + "\n\nMean time per entrypoint during B3 (ms): "
        + ", ".join(f"{k} {v}" for k, v in results["B3_handler_mean_ms"].items())
        + "\n\nDatabase statements per dossier during B3 (of them transactions): "
        + ", ".join(
            f"{k} {v['statements']} ({v['transactions']})"
            for k, v in results["B3_sql_per_dossier"]["services"].items()
        )
        + "\nPostgreSQL's CPU per dossier by kind of process (ms): "
        + ", ".join(f"{k} {v}" for k, v in results.get("B3_postgresql_ms_per_dossier", {}).items())
        + "\nDatabase connections opened per dossier during B3 (PostgreSQL starts a backend for each): "
        + ", ".join(f"{k} {v}" for k, v in results.get("B3_connections_per_dossier", {}).items())
        + "\nRun most often (per dossier): "
        + "; ".join(
            f"{t['service']} {t['per_dossier']} × {t['query']}"
            for t in results["B3_sql_per_dossier"]["top"][:12]
        )
    )


if __name__ == "__main__":
    sys.exit(main())
