"""The file store's look-up by relative path (signed results): nothing outside its root is ever served."""
from __future__ import annotations

from services.chassis.filestore import FileStore


def test_file_store_finds_files_by_relative_path_only_inside_its_root(tmp_path):
    store = FileStore(root=tmp_path / "files")
    (tmp_path / "files" / "results").mkdir(parents=True)
    (tmp_path / "files" / "results" / "ABC.pdf").write_bytes(b"%PDF")
    (tmp_path / "secret.txt").write_text("no")
    assert store.existing("results/ABC.pdf") == (tmp_path / "files" / "results" / "ABC.pdf").resolve()
    assert store.existing("results/missing.pdf") is None
    assert store.existing("../secret.txt") is None
    assert store.existing(str(tmp_path / "secret.txt")) is None  # an absolute path is not under the root
