"""A private PostgreSQL cluster for tests, benchmarks and local runs: own data directory and port, loopback only.

    python -m devtools.postgres start|stop --dir var/pg --port 55432

initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` system user (created by
Debian's package) and the data directory is given to that user.
"""

from __future__ import annotations

import argparse
import os
import pwd
import subprocess
import sys
import time
from pathlib import Path


def _bindir() -> Path:
    root = Path("/usr/lib/postgresql")
    versions = (
        sorted(
            (p for p in root.iterdir() if (p / "bin" / "pg_ctl").exists()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
        )
        if root.exists()
        else []
    )
    if not versions:
        raise RuntimeError(
            "PostgreSQL server binaries not found under /usr/lib/postgresql (make system installs them)"
        )
    return versions[-1] / "bin"


class Postgres:
    def __init__(self, base_dir: Path, port: int = 55432, fast: bool = True, settings: tuple[str, ...] = ()):
        self.base_dir = Path(base_dir).resolve()
        self.port = port
        self.fast = fast  # no fsync: for tests; benchmarks pass fast=False to measure real commits
        self.settings = settings  # more server settings, "name=value" each
        self.data = self.base_dir / "data"
        self.socket_dir = self.base_dir / "run"
        self.logfile = self.base_dir / "postgres.log"

    def _as_owner(self, *cmd: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=timeout)

    def _prepare(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for path in (self.base_dir, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
            if self.logfile.exists():
                os.chown(self.logfile, user.pw_uid, user.pw_gid)
            parent = self.base_dir.parent
            while parent != parent.parent:  # every parent must be traversable by postgres
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
                parent = parent.parent
        if not (self.data / "PG_VERSION").exists():
            result = self._as_owner(
                str(_bindir() / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
            )
            if result.returncode != 0:
                raise RuntimeError(f"initdb failed: {result.stderr or result.stdout}")

    def is_running(self) -> bool:
        return self._as_owner(str(_bindir() / "pg_ctl"), "status", "-D", str(self.data)).returncode == 0

    def start(self) -> None:
        self._prepare()
        if self.is_running():
            return
        options = [
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} -c max_connections=300"
        ]
        if self.fast:
            options.append("-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
        options.extend(f"-c {setting}" for setting in self.settings)
        result = self._as_owner(
            str(_bindir() / "pg_ctl"),
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-o",
            " ".join(options),
        )
        if result.returncode != 0:
            tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr or result.stdout}\n{tail}")
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres").close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if (self.data / "PG_VERSION").exists() and self.is_running():
            self._as_owner(str(_bindir() / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data))

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, dbname: str = "postgres", driver: str = "postgresql+psycopg2") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, sql: str) -> None:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def query(self, sql: str) -> list[tuple]:
        """Rows of one statement run as the superuser in the `postgres` database."""
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def create_database(self, name: str) -> None:
        import psycopg2

        try:
            self._admin(f'CREATE DATABASE "{name}"')
        except psycopg2.errors.DuplicateDatabase:
            pass

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.postgres")
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--dir", default="var/pg")
    parser.add_argument("--port", type=int, default=55432)
    args = parser.parse_args(argv)
    pg = Postgres(Path(args.dir), port=args.port)
    if args.command == "start":
        pg.start()
        print(f"PostgreSQL ready at {pg.url()}")
    elif args.command == "stop":
        pg.stop()
        print("PostgreSQL stopped")
    else:
        print("running" if pg.is_running() else "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
