"""Where each service's nameko class lives (the only place that names them all)."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

SERVICE_CLASSES = {
    "gateway": "services.gateway.service:GatewayService",
    "intake": "services.intake.service:IntakeService",
    "workflow": "services.workflow.service:WorkflowService",
    "payment": "services.payment.service:PaymentService",
    "notify": "services.notify.service:NotifyService",
    "registry": "services.registry.service:RegistryService",
}


def service_class(name: str) -> type:
    try:
        module_name, attr = SERVICE_CLASSES[name].split(":")
    except KeyError:
        raise SystemExit(f"unknown service {name!r}; known: {', '.join(SERVICE_CLASSES)}") from None
    cls: type = getattr(importlib.import_module(module_name), attr)
    return cls


def storage_metadata(name: str) -> MetaData | None:
    """The SQLAlchemy metadata of a service that owns a database, or None: `services.<name>.adapters.storage`, or
    `services.<name>.storage` for a service not split into adapters."""
    for module_name in (f"services.{name}.adapters.storage", f"services.{name}.storage"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue  # that module does not exist; a missing import inside it is a real error
            raise
        metadata: MetaData | None = getattr(module, "metadata", None)
        return metadata
    return None
