"""`python -m devtools.backup backup|restore|verify`: see the package's docstring and docs/backup-restore.md."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from devtools.backup import BackupError, manifest
from devtools.backup.run import restore, take


def _size(folder: Path) -> str:
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return f"{total / 1024:.0f} KiB" if total < 10 * 1024 * 1024 else f"{total / 1024 / 1024:.1f} MiB"


def do_backup(args) -> int:
    started = time.monotonic()
    print("backup: every service's database and the file store")
    folder, content = take(args.to)
    print(f"backup: written to {folder} ({_size(folder)}, {time.monotonic() - started:.1f} s)")
    broken = [
        s for s, e in content["services"].items() if e["audit_verified"] and not e["audit_verified"]["ok"]
    ]
    unverified = [
        s for s, e in content["services"].items() if e["audit_head"] and e["audit_verified"] is None
    ]
    if unverified:
        print(f"backup: audit chains of {', '.join(unverified)} not verified: set MOTCUA_APPLICANT_REF_KEY")
    if broken:
        print(
            f"backup: the audit chain of {', '.join(broken)} does NOT verify (the backup holds it as it is): "
            "python -m services.chassis.audit verify <service> says where it breaks",
            file=sys.stderr,
        )
        return 1
    return 0


def do_restore(args) -> int:
    started = time.monotonic()
    print(f"restore: checking {args.source}")
    content = restore(args.source, force=args.force)
    print(
        f"restore: done in {time.monotonic() - started:.1f} s, the data as it was at {content['created_at']}. "
        "Start the platform (make run migrates the databases forward if the code is newer)."
    )
    return 0


def do_verify(args) -> int:
    content = manifest.load_checked(args.source)
    rows = sum(sum(e["rows"].values()) for e in content["services"].values())
    print(
        f"verify: {args.source} is complete and unchanged: taken at {content['created_at']}, "
        f"{len(content['services'])} databases ({', '.join(content['services'])}), {rows} rows, "
        f"{content['file_store']['files']} stored files"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.backup", description="Back up and restore MotCua's databases and file store."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    backup = commands.add_parser("backup", help="back up into a new folder (default var/backups/<UTC time>)")
    backup.add_argument("--to", type=Path, help="the folder to create (must be new or empty)")
    backup.set_defaults(run=do_backup)
    again = commands.add_parser(
        "restore", help="restore a backup over the databases and file store in use now"
    )
    again.add_argument("--from", dest="source", type=Path, required=True, help="the backup's folder")
    again.add_argument("--force", action="store_true", help="restore even while services use the databases")
    again.set_defaults(run=do_restore)
    check = commands.add_parser("verify", help="check a backup's manifest and checksums (touches nothing)")
    check.add_argument("--from", dest="source", type=Path, required=True, help="the backup's folder")
    check.set_defaults(run=do_verify)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BackupError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
