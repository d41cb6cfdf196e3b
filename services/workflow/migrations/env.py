"""Alembic environment of the workflow service: its own database, its own metadata."""

from services.chassis.migration_env import run
from services.workflow.adapters.storage import metadata

run(metadata)
