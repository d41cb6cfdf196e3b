"""Where each service's nameko class lives (the only place that names them all)."""
from __future__ import annotations

import importlib

SERVICE_CLASSES = {
    "gateway": "services.gateway.service:GatewayService",
    "intake": "services.intake.service:IntakeService",
    "workflow": "services.workflow.service:WorkflowService",
    "payment": "services.payment.service:PaymentService",
    "notify": "services.notify.service:NotifyService",
    "registry": "services.registry.service:RegistryService",
}


def service_class(name: str):
    try:
        module_name, attr = SERVICE_CLASSES[name].split(":")
    except KeyError:
        raise SystemExit(f"unknown service {name!r}; known: {', '.join(SERVICE_CLASSES)}") from None
    return getattr(importlib.import_module(module_name), attr)


def storage_metadata(name: str):
    """The SQLAlchemy metadata of a service that owns a database, or None."""
    try:
        module = importlib.import_module(f"services.{name}.storage")
    except ModuleNotFoundError:
        return None
    return getattr(module, "metadata", None)
