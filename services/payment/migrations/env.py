"""Alembic environment of the payment service: its own database, its own metadata."""

from services.chassis.migration_env import run
from services.payment.adapters.storage import metadata

run(metadata)
