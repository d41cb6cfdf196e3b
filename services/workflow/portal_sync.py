"""Where services/workflow/adapters/portal.py was: kept for the tests outside the workflow's own (tests/unit/interop)
that import it from here, until they import the adapter itself. Nothing in the service uses it."""
from services.workflow.adapters.portal import *  # noqa: F401,F403
