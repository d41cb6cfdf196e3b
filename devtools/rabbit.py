"""A private RabbitMQ node as a plain process: own data directory, own ports, loopback only.

    python -m devtools.rabbit start|stop|status --dir var/rabbitmq --port 5672

The node is named after its port (`motcua-<port>@localhost`). A node left running by an earlier run with the
same name is stopped first, so `start` always gives a fresh process on the same data (durable queues and
persistent messages survive, as they would in production).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

SERVER = (
    "/usr/lib/rabbitmq/bin/rabbitmq-server"  # the real script; /usr/sbin's wrapper switches user when root
)
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def _binary(preferred: str, fallback: str) -> str:
    return preferred if os.path.exists(preferred) else (shutil.which(fallback) or fallback)


class RabbitMQ:
    def __init__(
        self, base_dir: Path, port: int = 5672, dist_port: int | None = None, nodename: str | None = None
    ):
        self.base_dir = Path(base_dir).resolve()
        self.port = port
        self.dist_port = dist_port or port + 20000
        self.nodename = nodename or f"motcua-{port}@localhost"
        self.process: subprocess.Popen | None = None

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def env(self) -> dict:
        base = self.base_dir
        env = {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")}
        env.update(
            {
                "HOME": str(base),
                "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
                "RABBITMQ_LOG_BASE": str(base / "log"),
                "RABBITMQ_NODENAME": self.nodename,
                "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port),
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "ERL_EPMD_ADDRESS": "127.0.0.1",
                "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
                "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
            }
        )
        return env

    def _prepare(self) -> None:
        for sub in ("mnesia", "log"):
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        (self.base_dir / "enabled_plugins").write_text("[].\n")
        (self.base_dir / "rabbitmq.conf").write_text(
            "# written by devtools.rabbit\n"
            "disk_free_limit.absolute = 50MB\n"
            "log.console = false\n"
            "log.file.level = warning\n"
        )

    def rabbitmqctl(self, *args: str, timeout: float = 60, check: bool = True) -> str:
        result = subprocess.run(
            [_binary(CTL, "rabbitmqctl"), "-n", self.nodename, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip() or result.stdout}"
            )
        return result.stdout

    def is_running(self) -> bool:
        try:
            return (
                subprocess.run(
                    [_binary(CTL, "rabbitmqctl"), "-n", self.nodename, "ping"],
                    env=self.env(),
                    capture_output=True,
                    timeout=30,
                ).returncode
                == 0
            )
        except subprocess.TimeoutExpired:
            return False

    def _port_open(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def start(self, timeout: float = 90) -> None:
        self._prepare()
        if self.is_running():
            self.rabbitmqctl("stop", check=False)
        log = open(self.base_dir / "server.log", "ab")
        # cwd: Erlang writes erl_crash.dump into the working directory; keep it with the node's data.
        self.process = subprocess.Popen(
            [_binary(SERVER, "rabbitmq-server")],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.base_dir,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited ({self.process.returncode}):\n{self.log_tail()}")
            if self._port_open():
                result = subprocess.run(
                    [_binary(CTL, "rabbitmqctl"), "-n", self.nodename, "await_startup"],
                    env=self.env(),
                    capture_output=True,
                    timeout=60,
                )
                if result.returncode == 0 and self._amqp_ok():
                    return
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"RabbitMQ not ready after {timeout}s:\n{self.log_tail()}")

    def _amqp_ok(self) -> bool:
        from kombu import Connection

        try:
            with Connection(self.amqp_uri, connect_timeout=3) as conn:
                conn.ensure_connection(max_retries=1)
            return True
        except Exception:  # noqa: BLE001
            return False

    def stop(self, timeout: float = 60) -> None:
        if self.is_running():
            self.rabbitmqctl("stop", check=False, timeout=timeout)
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        path = self.base_dir / "server.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.rabbit")
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--dir", default="var/rabbitmq")
    parser.add_argument("--port", type=int, default=5672)
    args = parser.parse_args(argv)
    node = RabbitMQ(Path(args.dir), port=args.port)
    if args.command == "start":
        node.start()
        print(f"RabbitMQ ready at {node.amqp_uri} (node {node.nodename}, data in {node.base_dir})")
    elif args.command == "stop":
        node.stop()
        print("RabbitMQ stopped")
    else:
        print("running" if node.is_running() else "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
