"""Small nameko dependency providers every service may use."""

from __future__ import annotations

from services.chassis.config import Settings
from services.chassis.nameko_types import DependencyProvider, WorkerContext


class SettingsProvider(DependencyProvider):
    """The service's `Settings` (read from the environment at start-up)."""

    def get_dependency(self, worker_ctx: WorkerContext) -> Settings:
        settings: Settings = self.container.config["MOTCUA"]
        return settings
