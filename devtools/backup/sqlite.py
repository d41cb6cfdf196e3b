"""SQLite (the embedded default): a copy through SQLite's online backup API, consistent while the services write
(a file copy of a live WAL database can miss committed pages or catch half a checkpoint); restored through the
same API, in one write transaction, after the copy was checked beside the live file."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from devtools.backup import BackupError, facts

# SQLite's "dead man switch" byte in the -shm file: every connection to a WAL database holds a shared lock on it
# for as long as it is open (os_unix.c: UNIX_SHM_DMS = 120 + 8 locks).
_SHM_DMS_BYTE = 128


class SqliteDatabase:
    engine = "sqlite"
    suffix = ".sqlite"

    def __init__(self, service: str, url: str):
        database = make_url(url).database
        if not database or database == ":memory:":
            raise BackupError(f"{service}: an in-memory SQLite database cannot be backed up")
        self.service = service
        self.path = Path(database).resolve()
        self.staged = self.path.with_name(f".{self.path.name}.restoring")

    @property
    def location(self) -> str:
        return f"sqlite:///{self.path}"

    def backup(self, out: Path, key: bytes | None) -> dict:
        if not self.path.is_file():
            raise BackupError(
                f"{self.service}: no database at {self.path} (has the platform run once? make run)"
            )
        # mode=rw: never create an empty database where the service's should be.
        source = sqlite3.connect(f"{self.path.as_uri()}?mode=rw", uri=True, timeout=30)
        try:
            copy = sqlite3.connect(out)
            try:
                source.backup(copy)  # all pages in one step: one read transaction, one point in time
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
        finally:
            source.close()
        return self._facts(out, key)

    def _facts(self, path: Path, key: bytes | None) -> dict:
        engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                check = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                if check != "ok":
                    raise BackupError(f"{self.service}: the copy at {path} fails SQLite's check: {check}")
                return facts.entry(conn, key)
        finally:
            engine.dispose()

    def in_use(self) -> str | None:
        """Whether a process holds the database open (a running service keeps its connection)."""
        shm = Path(f"{self.path}-shm")
        if not shm.exists():
            return None
        try:
            fd = os.open(shm, os.O_RDWR)
        except OSError as exc:  # not ours to open: cannot tell, so not free
            return f"cannot tell whether it is in use ({shm}: {exc.strerror})"
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
        except OSError:
            return f"open by a running process ({self.path})"
        else:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_BYTE)
            return None
        finally:
            os.close(fd)

    def stage(self, copy: Path, key: bytes | None) -> dict:
        """Put the backed-up copy beside the live database and read its facts; nothing live changes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(copy, self.staged)
        return self._facts(self.staged, key)

    def switch(self, force: bool) -> None:
        if not self.path.exists():
            # The -wal of a deleted database would be replayed into the new one.
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        source = sqlite3.connect(self.staged)
        try:
            target = sqlite3.connect(self.path, timeout=30)
            try:
                source.backup(target)  # one write transaction: a reader sees all of the restore or none
            finally:
                target.close()
        finally:
            source.close()
        self.staged.unlink()

    def discard(self) -> None:
        self.staged.unlink(missing_ok=True)
