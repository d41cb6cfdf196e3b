"""Alembic environment of the intake service: its own database, its own metadata."""

from services.chassis.migration_env import run
from services.intake.adapters.storage import metadata

run(metadata)
