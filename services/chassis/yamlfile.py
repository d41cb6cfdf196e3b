"""Reading the YAML data files a service ships (catalogue, processes, calendars, fees): one loader, one error.
Loaders live in adapters and hand plain data to the domain; the domain never opens a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


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
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise DataFileError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
