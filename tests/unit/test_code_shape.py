"""The code's shape holds (scripts/check_shape.py): functions of at most 50 lines outside tests and migrations,
`service.py` files of at most 250, and the list of known offences only shrinks."""

from __future__ import annotations

import importlib.util

from services.chassis.config import REPO_ROOT

spec = importlib.util.spec_from_file_location("check_shape", REPO_ROOT / "scripts" / "check_shape.py")
check_shape = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_shape)


def test_no_new_long_function_or_service_module_and_no_stale_exception():
    found = check_shape.offences()
    keys = {check_shape._key(o) for o in found}
    assert [o for o in found if check_shape._key(o) not in check_shape.KNOWN] == []
    assert sorted(check_shape.KNOWN - keys) == []


def test_the_check_sees_a_long_function(tmp_path):
    (tmp_path / "services" / "x").mkdir(parents=True)
    body = "\n".join(f"    a{i} = {i}" for i in range(60))
    (tmp_path / "services" / "x" / "service.py").write_text(f"def long():\n{body}\n")
    for tree in ("devtools", "bench", "scripts"):
        (tmp_path / tree).mkdir()
    assert check_shape.offences(tmp_path) == ["services/x/service.py:1 long: 61 lines (at most 50)"]
