"""The file store in a backup: one tar of every stored file (uploads, signed results), without the temporary files
writers rename into place when complete. Restored beside the live store, counted, then swapped in whole: after a
restore the store holds what it held at backup time, nothing more."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

from services.chassis.filestore import FileStore


def _is_temporary(relative: Path) -> bool:
    # FileStore.receive writes tmp/<id>.part, signing writes results/<code>.tmp; both are renamed when complete.
    return relative.parts[0] == "tmp" or relative.suffix in (".part", ".tmp")


class FileStoreCopy:
    file = "files.tar"

    def __init__(self, root: Path | None = None):
        self.root = Path(root or FileStore().root).resolve()
        self.staged = self.root.with_name(self.root.name + ".restoring")
        self.replaced = self.root.with_name(self.root.name + ".replaced")

    def backup(self, out: Path) -> dict:
        count = size = 0
        with tarfile.open(out, "w") as tar:
            if self.root.is_dir():
                for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
                    relative = path.relative_to(self.root)
                    if _is_temporary(relative):
                        continue
                    tar.add(path, arcname=str(relative), recursive=False)
                    count, size = count + 1, size + path.stat().st_size
        return {"directory": str(self.root), "file": self.file, "files": count, "bytes": size}

    def stage(self, copy: Path, expected: dict) -> list[str]:
        """Unpack beside the live store; the differences from what the manifest counted."""
        shutil.rmtree(self.staged, ignore_errors=True)
        self.staged.mkdir(parents=True)
        with tarfile.open(copy) as tar:
            tar.extractall(self.staged, filter="data")  # refuses absolute paths and links out of the folder
        found = [p for p in self.staged.rglob("*") if p.is_file()]
        count, size = len(found), sum(p.stat().st_size for p in found)
        if (count, size) != (expected["files"], expected["bytes"]):
            return [
                f"file store: {count} files, {size} bytes restored; {expected['files']} files, "
                f"{expected['bytes']} bytes backed up"
            ]
        return []

    def switch(self) -> None:
        shutil.rmtree(self.replaced, ignore_errors=True)
        if self.root.exists():
            os.rename(self.root, self.replaced)
        os.rename(self.staged, self.root)
        shutil.rmtree(self.replaced, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.staged, ignore_errors=True)
