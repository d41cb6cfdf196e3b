"""Small nameko dependency providers every service may use."""
from __future__ import annotations

from nameko.extensions import DependencyProvider


class SettingsProvider(DependencyProvider):
    """The service's `Settings` (read from the environment at start-up)."""

    def get_dependency(self, worker_ctx):
        return self.container.config["MOTCUA"]
