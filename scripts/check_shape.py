"""The code's shape, checked in `make lint` and by tests/unit/test_code_shape.py:
- no function or method longer than 50 lines outside tests and migrations (docstring and comments included: a
  reader sees them too);
- no `service.py` longer than 250 lines (entrypoints only: parse, call one handler, answer).

    python scripts/check_shape.py        # one line per offence, exit 1 if any
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREES = ("services", "devtools", "bench", "scripts")
MAX_FUNCTION_LINES = 50
MAX_SERVICE_LINES = 250
# Offences being worked off: none left (issue #23 emptied it); an entry here must be a named, temporary exception.
KNOWN: set[str] = set()


def offences(root: Path = ROOT) -> list[str]:
    found = []
    for tree in TREES:
        for path in sorted((root / tree).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(root).as_posix()
            text = path.read_text(encoding="utf-8")
            if path.name == "service.py" and text.count("\n") > MAX_SERVICE_LINES:
                found.append(f"{rel}: {text.count(chr(10))} lines (at most {MAX_SERVICE_LINES})")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = node.end_lineno - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        found.append(
                            f"{rel}:{node.lineno} {node.name}: {length} lines (at most {MAX_FUNCTION_LINES})"
                        )
    return found


def _key(offence: str) -> str:
    """`path name` (no line number, no length): what KNOWN lists."""
    head = offence.split(": ")[0]
    path, _, rest = head.partition(":")
    return f"{path} {rest.split(' ', 1)[1]}" if rest else path


def main() -> int:
    found = offences()
    new = [o for o in found if _key(o) not in KNOWN]
    for offence in new:
        print(offence)
    gone = KNOWN - {_key(o) for o in found}
    for key in sorted(gone):
        print(f"{key}: fixed, take it off KNOWN in scripts/check_shape.py")
    return 1 if new or gone else 0


if __name__ == "__main__":
    sys.exit(main())
