"""Where services/workflow/adapters/storage.py was: kept for the tests outside the workflow's own (tests/unit/interop,
tests/integration) that import it from here, until they import the adapter itself. Nothing in the service uses it."""
from services.workflow.adapters.storage import *  # noqa: F401,F403
