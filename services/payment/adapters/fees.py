"""Loads the fee schedules file (YAML) and hands its content to the pure parser in domain/fees.py."""

from __future__ import annotations

from pathlib import Path

from services.chassis.yamlfile import load_yaml
from services.payment.domain.fees import Schedules, parse_schedules

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_FILE = DATA_DIR / "fees.yaml"


def load_schedules(path: str | Path = DEFAULT_FILE) -> Schedules:
    """The schedules of a fee file; DataFileError (unreadable, not YAML) or FeeScheduleError (a rule broken),
    each naming the file."""
    return parse_schedules(load_yaml(path), path)
