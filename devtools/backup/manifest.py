"""A backup's manifest (manifest.json: what, when, from where, how many rows) and its checksums (SHA256SUMS, the
format `sha256sum -c` reads), written last so that a backup without them is an unfinished one."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from devtools.backup import BackupError

FORMAT = 1
TOOL = {"name": "devtools.backup", "version": "1.0"}
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, content: str) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(content, encoding="utf-8")
    part.chmod(0o600)
    os.replace(part, path)


def data_files(manifest: dict) -> list[str]:
    """The files a manifest's services and file store point to."""
    names = [entry["file"] for entry in manifest["services"].values()]
    return names + ([manifest["file_store"]["file"]] if manifest.get("file_store") else [])


def write(folder: Path, manifest: dict) -> None:
    """Checksum the data files into the manifest, write it, then SHA256SUMS over both. Every file is made readable
    by its owner only: the copies hold personal data, and a copy of the folder keeps the files' modes."""
    for name in data_files(manifest):
        (folder / name).chmod(0o600)
    manifest["files"] = {
        name: {"sha256": sha256_of(folder / name), "bytes": (folder / name).stat().st_size}
        for name in data_files(manifest)
    }
    _write_atomically(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    sums = {
        **{name: f["sha256"] for name, f in manifest["files"].items()},
        MANIFEST: sha256_of(folder / MANIFEST),
    }
    _write_atomically(folder / SUMS, "".join(f"{digest}  {name}\n" for name, digest in sums.items()))


def read_sums(folder: Path) -> dict[str, str]:
    sums = {}
    for line in (folder / SUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if digest and name:
            sums[name] = digest
    return sums


def load_checked(folder: Path) -> dict:
    """The manifest of the backup in `folder`, once every file it names is there, whole and unchanged; otherwise
    BackupError listing every problem found."""
    if not folder.is_dir():
        raise BackupError(f"no backup at {folder}")
    missing = [name for name in (MANIFEST, SUMS) if not (folder / name).is_file()]
    if missing:
        raise BackupError(
            f"{folder} is not a complete backup: {' and '.join(missing)} missing (a backup writes "
            "them last; without them it did not finish)"
        )
    sums = read_sums(folder)
    if sums.get(MANIFEST) != sha256_of(folder / MANIFEST):
        raise BackupError(
            f"{folder}/{MANIFEST} does not match its checksum in {SUMS}: it was changed or damaged"
        )
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{folder}/{MANIFEST} is not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{folder}: backup format {manifest.get('format')!r}, this tool reads format {FORMAT}"
        )
    problems = _file_problems(folder, manifest, sums)
    if problems:
        raise BackupError(f"{folder} is damaged or incomplete:\n  " + "\n  ".join(problems))
    return manifest


def _file_problems(folder: Path, manifest: dict, sums: dict[str, str]) -> list[str]:
    problems = []
    files = manifest.get("files", {})
    for name in data_files(manifest):
        expected = files.get(name)
        path = folder / name
        if expected is None or sums.get(name) != expected["sha256"]:
            problems.append(f"{name}: not listed with the same checksum in {MANIFEST} and {SUMS}")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif path.stat().st_size != expected["bytes"]:
            problems.append(f"{name}: {path.stat().st_size} bytes, the manifest says {expected['bytes']}")
        elif sha256_of(path) != expected["sha256"]:
            problems.append(f"{name}: content changed (sha256 differs from the manifest)")
    return problems
