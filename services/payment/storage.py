"""Payment storage: for now only the outbox and inbox every service has (fees arrive with the payment issue)."""
from __future__ import annotations

from services.chassis.database import new_metadata

metadata = new_metadata()
