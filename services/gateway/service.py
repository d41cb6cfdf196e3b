"""Gateway service: the HTTP front door (`/api/v1` JSON API with its OpenAPI document, the citizens' and
officers' web pages, health) that calls the other services by RPC. Every route is authenticated unless
declared public.

This module only composes: the routes live in services/gateway/routes/, one module per resource (API) or
audience (pages), each a mixin of GatewayService; their plumbing is services/gateway/routing.py (`@endpoint`)
and services/gateway/web/base.py (`@page`). Unknown paths and methods: services/gateway/webserver.py answers
them with a problem."""

from __future__ import annotations

from nameko.rpc import RpcProxy

from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.gateway import storage
from services.gateway.auth import Authenticator
from services.gateway.routes.access import AccessRules
from services.gateway.routes.admin_catalogue_pages import AdminCataloguePages
from services.gateway.routes.admin_pages import AdminPages
from services.gateway.routes.administration import AdministrationRoutes
from services.gateway.routes.calendar import CalendarRoutes
from services.gateway.routes.catalogue import CatalogueRoutes
from services.gateway.routes.catalogue_admin import CatalogueAdminRoutes
from services.gateway.routes.catalogue_pages import CataloguePages
from services.gateway.routes.citizen_pages import CitizenPages
from services.gateway.routes.dev_idp import DevIdentityRoutes
from services.gateway.routes.document_pages import DocumentPages
from services.gateway.routes.dossier_pages import DossierPages
from services.gateway.routes.dossiers import DossierRoutes
from services.gateway.routes.drafts import DraftRoutes
from services.gateway.routes.officer_pages import OfficerPages
from services.gateway.routes.officers import OfficerRoutes
from services.gateway.routes.ops import OpsRoutes
from services.gateway.routes.payments import PaymentRoutes
from services.gateway.routes.queue_pages import QueuePages
from services.gateway.routes.registry import RegistryRoutes
from services.gateway.routes.sessions import SessionRoutes
from services.gateway.routes.signin_pages import SignInPages
from services.gateway.routes.staff import StaffRoutes
from services.gateway.routes.staff_pages import StaffPages
from services.gateway.routes.subscriptions import SubscriptionRoutes
from services.gateway.routes.verifications import PortalSyncRoutes, VerificationRoutes
from services.gateway.staff import StaffEvents
from services.gateway.vocabulary import Vocabulary
from services.gateway.web.base import WebSupport


class GatewayService(
    # The JSON API, by resource.
    OpsRoutes,
    CatalogueRoutes,
    DossierRoutes,
    DraftRoutes,
    PaymentRoutes,
    OfficerRoutes,
    CalendarRoutes,
    RegistryRoutes,
    SubscriptionRoutes,
    VerificationRoutes,
    PortalSyncRoutes,
    SessionRoutes,
    StaffRoutes,
    CatalogueAdminRoutes,
    AdministrationRoutes,
    DevIdentityRoutes,
    # The web pages, by audience.
    SignInPages,
    CitizenPages,
    DossierPages,
    DocumentPages,
    OfficerPages,
    QueuePages,
    StaffPages,
    CataloguePages,
    AdminPages,
    AdminCataloguePages,
    # The staff directory's changes (services/gateway/staff.py: cached officers, sessions of revoked ones).
    StaffEvents,
    # Who may reach what (the kind of account, the dossiers one may see).
    AccessRules,
):
    name = "gateway"

    # Sign-in sessions only (services/gateway/storage.py): the gateway publishes no events, so no outbox relay.
    # Its audit chain (session revocations) is checked with `python -m services.chassis.audit verify gateway`: an
    # RPC entrypoint would give the gateway a queue, and queue-depth autoscaling a wrong signal. Its one event
    # queue (StaffMemberChanged) is rare and no measure of its load: the chart never scales the gateway by KEDA.
    db = Database(storage.metadata, relay=False)
    auth = Authenticator()
    web = WebSupport()
    vocabulary = Vocabulary()
    settings = SettingsProvider()
    intake = RpcProxy("intake")
    workflow = RpcProxy("workflow")
    registry = RpcProxy("registry")
    notify = RpcProxy("notify")
    payment = RpcProxy("payment")
    log = LogContext()
    metrics = EntrypointMetrics()
