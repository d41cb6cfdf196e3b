"""What an uploaded PDF may not carry: JavaScript, launch actions, or HTML that makes it a polyglot.

A dossier's PDF goes to an officer's browser and PDF reader; a file that starts with `%PDF-` but holds a
`/JavaScript` action, a `/Launch` action or an HTML page with script inside is refused at upload. The check
reads the file's syntax, not its first bytes only: every PDF name is decoded (`/J#61vaScript` is `/JavaScript`),
and every Flate-compressed stream is inflated (bounded) so an action hidden in an object stream is found too.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

# Names that start actions we never want to run on an officer's machine (ISO 32000-1 §12.6.4).
FORBIDDEN_NAMES = {b"JavaScript": "javascript", b"JS": "javascript", b"Launch": "launch_action"}
_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_HTML = re.compile(rb"<\s*(?:script|html|body|iframe|svg|!doctype)\b", re.I)
MAX_INFLATED = 64 * 1024 * 1024  # a compression bomb stops here


def _names(data: bytes) -> Iterator[bytes]:
    for match in _NAME.finditer(data):
        yield _HEX.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))


def _inflated(streams: list[bytes]) -> Iterator[bytes]:
    budget = MAX_INFLATED
    for raw in streams:
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(raw, budget)
        except zlib.error:
            continue  # not Flate (or damaged): its bytes were scanned as they are
        budget -= len(out)
        yield out
        if budget <= 0:
            raise ValueError("inflated_too_large")


def problems(data: bytes) -> list[str]:
    """What is wrong with this PDF, as stable codes (empty: nothing found)."""
    found: set[str] = set()
    streams = _STREAM.findall(data)
    outside = _STREAM.sub(b"stream endstream", data)
    if _HTML.search(outside):
        found.add("html_inside")
    try:
        inflated = list(_inflated(streams))
    except ValueError:
        found.add("inflated_too_large")
        inflated = []
    for part in (data, *inflated):
        for name in _names(part):
            if name in FORBIDDEN_NAMES:
                found.add(FORBIDDEN_NAMES[name])
    return sorted(found)
