"""Alembic environment of the notify service: its own database, its own metadata."""

from services.chassis.migration_env import run
from services.notify.adapters.storage import metadata

run(metadata)
