"""The workflow's data files read from disk (units, procedures, process definitions, legal calendars) and handed
to the pure parsers of domain/ with the name of the file, so every error names the file it is about.

A file that cannot be read or is not YAML raises services.chassis.yamlfile.DataFileError; content the domain
refuses raises CatalogueError, ProcessError or CalendarError. Either stops the service at start.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from services.chassis.yamlfile import DataFileError, load_yaml
from services.workflow.domain import catalogue, legal_time, process


def read(path: Path) -> Any:
    """A data file's content; a value YAML cannot turn into a date (2026-02-30) is named with its file too."""
    try:
        return load_yaml(path)
    except DataFileError:
        raise
    except ValueError as exc:  # YAML's own date parsing
        raise DataFileError(f"{path}: a value is not a date (YYYY-MM-DD): {exc}") from None


def load_territory(path: Path) -> catalogue.Territory:
    return catalogue.parse_territory(read(path), str(path))


def load_procedures(path: Path) -> dict[tuple[str, int], catalogue.Procedure]:
    return catalogue.parse_procedures(read(path), str(path))


def load_process(path: Path) -> process.ProcessDefinition:
    return process.parse_process(read(path), str(path))


def parse_process_text(text: str, source: str) -> process.ProcessDefinition:
    """A process definition given as YAML text (an administrator's upload to check): DataFileError when it is not
    YAML, ProcessError when the definition is refused; each names `source` (and the line)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise DataFileError(f"{source}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except ValueError as exc:  # YAML's own date parsing
        raise DataFileError(f"{source}: a value is not a date (YYYY-MM-DD): {exc}") from None
    return process.parse_process(data, source)


def load_processes(directory: Path) -> dict[str, process.ProcessDefinition]:
    """Every process definition of `directory`, by name."""
    definitions = (load_process(path) for path in sorted(Path(directory).glob("*.yaml")))
    return {definition.name: definition for definition in definitions}


def load_calendar(directory: Path, province: str | None = None) -> legal_time.WorkCalendar:
    """Every `vn-<year>.yaml` in `directory`, then `overrides/<province>.yaml` if it exists."""
    directory = Path(directory)
    files = sorted(directory.glob("vn-*.yaml"))
    if not files:
        raise legal_time.CalendarError(directory, "no calendar files (vn-<year>.yaml)")
    years = [legal_time.parse_year(read(path), str(path), path.stem.removeprefix("vn-")) for path in files]
    override = None
    local = directory / "overrides" / f"{province}.yaml"
    if province and local.exists():
        override = legal_time.parse_override(read(local), str(local))
    return legal_time.build_calendar(years, override)


def sha256(path: Path) -> str:
    """A data file's SHA-256 (what the catalogue was seeded from is recorded by it)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
