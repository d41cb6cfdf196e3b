"""Alembic environment of the registry service: its own database, its own metadata."""

from services.chassis.migration_env import run
from services.registry.adapters.storage import metadata

run(metadata)
