"""Back up and restore the platform's data on one machine: every service's database and the file store.

    python -m devtools.backup backup [--to DIR]             (make backup)
    python -m devtools.backup restore --from DIR [--force]  (make restore FROM=DIR)
    python -m devtools.backup verify --from DIR             (checksums only, nothing touched)

Which databases: every service that owns one (`services.chassis.migrate.services_with_database`), found where the
services find it (`services.chassis.config.database_url`: a SQLite file per service by default, PostgreSQL with
`DATABASE_URL`). Which files: the file store (`FILE_STORE_DIR`, `var/files`), uploads and signed results.

It lives in devtools, not in the services' image: on Kubernetes CloudNativePG backs PostgreSQL up (base backups
and WAL, point-in-time recovery, docs/backup-restore.md), and the image carries no pg_dump. This is for the
platform `make run` starts and for a PostgreSQL on the same machine.
"""

from __future__ import annotations


class BackupError(Exception):
    """A backup that cannot be taken, or a restore refused; the message says why and what to do."""
