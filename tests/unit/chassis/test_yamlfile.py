"""The data files read through libyaml's safe loader give exactly what PyYAML's pure-Python safe loader gives (the
faster parser changes no value), and a broken file still names its line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.chassis import yamlfile
from services.chassis.config import REPO_ROOT

DATA_FILES = sorted(
    path
    for folder in ("services/workflow/data", "services/payment/data", "charts/motcua/files")
    for path in (REPO_ROOT / folder).rglob("*.yaml")
)


def test_the_fast_loader_is_used_where_pyyaml_has_it():
    assert yamlfile._LOADER is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_data_file_reads_as_the_pure_python_loader_reads_it(path: Path):
    assert yamlfile.load_yaml(path) == yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)


def test_a_broken_file_is_named_with_its_line(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: 1\nb: [2\nc: 3\n", encoding="utf-8")
    with pytest.raises(yamlfile.DataFileError, match=r"broken.yaml line \d+: not valid YAML"):
        yamlfile.load_yaml(broken)


def test_no_python_object_is_built(tmp_path):
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("x: !!python/object/apply:os.getcwd []\n", encoding="utf-8")
    with pytest.raises(yamlfile.DataFileError):
        yamlfile.load_yaml(unsafe)
