"""Reading the YAML data files a service ships (catalogue, processes, calendars, fees): one loader, one error.
Loaders live in adapters and hand plain data to the domain; the domain never opens a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (the wheels are): the same safe loading, about ten times faster on
# a province's catalogue of 2,000 procedures (docs/performance.md, Scale). The pure-Python one otherwise.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataFileError(ValueError):
    """A data file that cannot be read or is not valid YAML; the message names the file (and line)."""


def load_yaml(path: str | Path) -> Any:
    """The parsed content of a YAML file (an empty file is None); DataFileError on a missing or broken file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return _parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise DataFileError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None


def _parse(text: str) -> Any:
    """libyaml's parse; a text it refuses is parsed again by the pure-Python loader, whose error (and the line it
    names: libyaml places an error at the end of the text one line further) is the one reported, as ever."""
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        if _LOADER is yaml.SafeLoader:
            raise
        return yaml.safe_load(text)
