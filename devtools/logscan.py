"""Scan service logs for what must never be there: full ID numbers, phone numbers, tokens, secrets."""

from __future__ import annotations

import re
from pathlib import Path

LEAK_PATTERNS = {
    "id_number": re.compile(r"(?<![\d*])\d{12}(?!\d)"),
    "phone": re.compile(r"(?<![\d*.])0\d{9}(?![\d.])"),
    "token": re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "secret": re.compile(r"local-sandbox-secret|local-development-only|BEGIN (RSA )?PRIVATE KEY"),
}


def scan_logs_for_personal_data(log_dir: Path) -> list[str]:
    """Every service log line of a test run, checked for full ID numbers, phone numbers, tokens, secrets."""
    leaks = []
    for path in sorted(log_dir.glob("*.log")):
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for kind, pattern in LEAK_PATTERNS.items():
                if pattern.search(line):
                    leaks.append(f"{path.name}:{number}: {kind}: {line[:160]}")
    return leaks
