"""Alembic environment of the payment service: its own database, its own metadata."""
from services.chassis.migration_env import run
from services.payment.storage import metadata

run(metadata)
