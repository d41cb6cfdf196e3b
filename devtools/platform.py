"""Start, stop and kill MotCua's service processes, as `make run` and the integration tests need them.

Each service runs as its own process (`python -m services.chassis.run <name>`) with its environment, its log
file, and its metrics/health port. `Platform` waits for readiness, can stop a service gracefully (SIGTERM),
kill it (SIGKILL) and start it again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devtools.ports import free_port
from services.chassis.config import METRICS_PORTS, REPO_ROOT

ORDER = ("registry", "workflow", "intake", "notify", "payment", "gateway")


@dataclass
class Platform:
    env: dict
    log_dir: Path
    services: tuple[str, ...] = ORDER
    port_offset: int = 0  # shifts the fixed metrics ports (bench); tests pass metrics_ports instead
    http_port: int = 8000
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # Metrics/health port per process name (`workflow`, `workflow#1`): a name not in it gets a free port on first
    # use and keeps it, so replicas started later never collide with `make run` or another test session. None:
    # the fixed METRICS_PORTS (+ port_offset, + 50 per replica), as `make run` documents them.
    metrics_ports: dict[str, int] | None = None
    replica_http_ports: dict[str, int] = field(default_factory=dict)

    def metrics_port(self, name: str) -> int:
        if self.metrics_ports is not None:
            if name not in self.metrics_ports:
                self.metrics_ports[name] = free_port()
            return self.metrics_ports[name]
        base, _, replica = name.partition("#")
        return METRICS_PORTS[base] + self.port_offset + 50 * int(replica or 0)

    def http_port_of(self, name: str) -> int:
        """The gateway's HTTP port: `http_port` for the first replica, a free port of its own for `gateway#N`."""
        if "#" not in name:
            return self.http_port
        if name not in self.replica_http_ports:
            self.replica_http_ports[name] = free_port()
        return self.replica_http_ports[name]

    def service_env(self, name: str) -> dict:
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / ".build" / "gen")])
        env["METRICS_PORT"] = str(self.metrics_port(name))
        env["HTTP_PORT"] = str(self.http_port_of(name))
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def migrate(self) -> None:
        names = list(self.services)
        subprocess.run(
            [sys.executable, "-m", "services.chassis.migrate", *names],
            env=self.service_env("intake"),
            check=True,
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
        )

    def declare_topology(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "services.chassis.topology", *self.services],
            env=self.service_env("intake"),
            check=True,
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
        )

    def start(self, name: str, wait: bool = True, timeout: float = 60) -> subprocess.Popen:
        """Start a service; `name#1`, `name#2` start further replicas (own metrics port, same queues)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name.replace('#', '-')}.log", "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.chassis.run", name.partition("#")[0]],
            env=self.service_env(name),
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = proc
        if wait:
            self.wait_ready(name, timeout)
        return proc

    def start_with_demo(self) -> None:
        """Databases migrated, the demo data loaded (devtools/demo.py), queues declared, every service started:
        the platform as `make run` brings it up (the benchmarks start theirs this way)."""
        self.migrate()
        subprocess.run(
            [sys.executable, "-m", "devtools.demo"],
            env=self.service_env("registry"),
            cwd=REPO_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.declare_topology()
        self.start_all()

    def start_all(self, timeout: float = 90) -> None:
        for name in self.services:
            self.start(name, wait=False)
        for name in self.services:
            self.wait_ready(name, timeout)

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.metrics_port(name)}/readyz"
        while time.monotonic() < deadline:
            proc = self.processes.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}:\n"
                    + self.log_tail(name)
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{name} not ready after {timeout}s:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name.replace('#', '-')}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, name: str, timeout: float = 20) -> None:
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def kill(self, name: str) -> None:
        """SIGKILL: no goodbye, no cleanup, as when a node dies."""
        proc = self.processes.pop(name, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            proc = self.processes.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name in list(self.processes):
            self.stop(name)

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self.processes.items()}
