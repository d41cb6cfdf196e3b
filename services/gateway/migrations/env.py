"""Alembic environment of the gateway: its own database (sign-in sessions), its own metadata."""

from services.chassis.migration_env import run
from services.gateway.storage import metadata

run(metadata)
