"""The registry's tables, moved to adapters/storage.py (the shape of issue #23): this name stays only for code
outside the service that still imports it (devtools/demo.py). Import services.registry.adapters.storage
instead."""
from services.registry.adapters.storage import *  # noqa: F401,F403
