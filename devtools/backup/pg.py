"""PostgreSQL: pg_dump (custom format) of each service's database inside an exported snapshot, so the rows the
manifest counts are exactly the rows dumped; restored with pg_restore into a fresh database beside the live one,
checked there, and only then renamed into its place.

The client binaries are Debian's for the server's major version (/usr/lib/postgresql/<major>/bin), or a newer
one: pg_dump refuses a server newer than itself. The password goes to them through PGPASSWORD, never on a
command line, and is masked in everything printed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from devtools.backup import BackupError, facts

PG_ROOT = Path("/usr/lib/postgresql")


def client(name: str, server_major: int) -> Path:
    """pg_dump or pg_restore for a server of `server_major`."""
    majors = (
        sorted(int(p.name) for p in PG_ROOT.iterdir() if p.name.isdigit() and (p / "bin" / name).exists())
        if PG_ROOT.exists()
        else []
    )
    usable = [m for m in majors if m >= server_major]
    if not usable:
        raise BackupError(
            f"{name} for PostgreSQL {server_major} not found under {PG_ROOT} "
            f"(apt-get install postgresql-client-{server_major}; make system installs PostgreSQL)"
        )
    return PG_ROOT / str(usable[0]) / "bin" / name


def conninfo(url: URL) -> str:
    """A libpq connection string for the client binaries, without the password."""
    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    parts.update({k: v for k, v in url.query.items() if isinstance(v, str)})  # sslmode and friends
    return " ".join(f"{k}='{_escape(v)}'" for k, v in parts.items() if v not in (None, ""))


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace("'", "\\'")


def server_major(conn) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


class PgDatabase:
    engine = "postgresql"
    suffix = ".pgdump"

    def __init__(self, service: str, url: str):
        self.service = service
        self.url = make_url(url)
        self.name = self.url.database
        if not self.name:
            raise BackupError(f"{service}: the database URL {self.location} names no database")
        self.staged_name = f"{self.name}__restore"
        if len(self.staged_name.encode()) > 63:  # PostgreSQL would silently cut it, maybe onto another name
            raise BackupError(f"{service}: database name {self.name!r} too long to restore beside itself")

    @property
    def location(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def mask(self, message: str) -> str:
        password = self.url.password
        return message.replace(str(password), "***") if password else message

    def _engine(self, database: str | None = None, **options):
        return create_engine(self.url.set(database=database or self.name), poolclass=NullPool, **options)

    def _admin(self):
        """The maintenance database, in autocommit: CREATE, DROP and ALTER DATABASE run outside transactions."""
        return self._engine("postgres", isolation_level="AUTOCOMMIT")

    def _run(self, program: Path, *args: str) -> None:
        env = {**os.environ, "PGAPPNAME": "motcua-backup"}
        if self.url.password:
            env["PGPASSWORD"] = str(self.url.password)
        result = subprocess.run(
            [str(program), "--no-password", *args], env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise BackupError(f"{self.service}: {program.name} failed: {self.mask(result.stderr.strip())}")

    def _unreachable(self, exc: DBAPIError) -> BackupError:
        detail = self.mask(str(exc.orig).strip().splitlines()[0]) if exc.orig else type(exc).__name__
        return BackupError(f"{self.service}: PostgreSQL at {self.location}: {detail}")

    def backup(self, out: Path, key: bytes | None) -> dict:
        engine = self._engine(isolation_level="REPEATABLE READ")
        try:
            with engine.connect() as conn:
                conn.execute(text("SET TRANSACTION READ ONLY"))
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                found = facts.entry(conn, key)
                # The snapshot lives as long as this transaction: pg_dump reads exactly what was counted.
                self._run(
                    client("pg_dump", server_major(conn)),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={out}",
                    f"--dbname={conninfo(self.url)}",
                )
                conn.rollback()
            return found
        except DBAPIError as exc:
            raise self._unreachable(exc) from None
        finally:
            engine.dispose()

    def in_use(self) -> str | None:
        engine = self._admin()
        try:
            with engine.connect() as conn:
                names = (
                    conn.execute(
                        text(
                            "SELECT coalesce(nullif(application_name, ''), 'unnamed') FROM pg_stat_activity "
                            "WHERE datname = :d AND pid <> pg_backend_pid()"
                        ),
                        {"d": self.name},
                    )
                    .scalars()
                    .all()
                )
        except DBAPIError as exc:
            raise self._unreachable(exc) from None
        finally:
            engine.dispose()
        if not names:
            return None
        return f"{len(names)} open connection(s) to {self.location} ({', '.join(sorted(set(names)))})"

    def _quoted(self, conn, name: str) -> str:
        return conn.dialect.identifier_preparer.quote(name)

    def stage(self, copy: Path, key: bytes | None) -> dict:
        """pg_restore into a new database beside the live one and read its facts; nothing live changes."""
        engine = self._admin()
        try:
            with engine.connect() as conn:
                staged = self._quoted(conn, self.staged_name)
                # A database by that name is what an interrupted restore left: this tool's own.
                conn.execute(text(f"DROP DATABASE IF EXISTS {staged} WITH (FORCE)"))
                conn.execute(text(f"CREATE DATABASE {staged} TEMPLATE template0 ENCODING 'UTF8'"))
                major = server_major(conn)
        except DBAPIError as exc:
            raise self._unreachable(exc) from None
        finally:
            engine.dispose()
        # --no-owner: the tables belong to the user the services connect as, whoever owned them before.
        self._run(
            client("pg_restore", major),
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={conninfo(self.url.set(database=self.staged_name))}",
            str(copy),
        )
        staged_engine = self._engine(self.staged_name)
        try:
            with staged_engine.connect() as conn:
                return facts.entry(conn, key)
        finally:
            staged_engine.dispose()

    def switch(self, force: bool) -> None:
        """Drop the live database (with --force, disconnecting whoever is connected) and rename the restored one
        into its place."""
        engine = self._admin()
        try:
            with engine.connect() as conn:
                live, staged = self._quoted(conn, self.name), self._quoted(conn, self.staged_name)
                conn.execute(text(f"DROP DATABASE IF EXISTS {live}" + (" WITH (FORCE)" if force else "")))
                conn.execute(text(f"ALTER DATABASE {staged} RENAME TO {live}"))
        except DBAPIError as exc:
            raise self._unreachable(exc) from None
        finally:
            engine.dispose()

    def discard(self) -> None:
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(
                    text(f"DROP DATABASE IF EXISTS {self._quoted(conn, self.staged_name)} WITH (FORCE)")
                )
        except DBAPIError:
            pass  # the restore already failed; its own error is the one to show
        finally:
            engine.dispose()
