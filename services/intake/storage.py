"""Intake's tables, moved to adapters/storage.py (the shape of issue #23): this name stays only for code
outside the service that still imports it (tests/integration/test_dossier_path.py). Import
services.intake.adapters.storage instead."""
from services.intake.adapters.storage import *  # noqa: F401,F403
