"""Agency event subscriptions (signed webhooks): agencies only (`self._agency`, routes/access.py); each agency
sees and manages only its own subscriptions, their deliveries and replays."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway.problems import json_response
from services.gateway.routing import created, endpoint, idempotency_key, read_json


class SubscriptionRoutes:
    @endpoint("POST", "/api/v1/subscriptions", tag="agencies", status=201, idempotent=True)
    def create_subscription(self, request):
        """Subscribe to dossier events: {url, event_types?, units?, procedures?}. Deliveries are CloudEvents signed
        per Standard Webhooks; the `secret` is shown only in this answer. Private and internal addresses are
        refused.

        `Idempotency-Key` header: a retry with the same key and body answers with the subscription the first
        request created and its secret in force (200, `replayed: true`); the same key with another body: 409."""
        owner = self._agency(request)
        return created(
            call(self.notify.create_subscription, owner, read_json(request), idempotency_key(request))
        )

    @endpoint("GET", "/api/v1/subscriptions", tag="agencies")
    def list_subscriptions(self, request):
        """The agency's subscriptions."""
        return json_response({"items": call(self.notify.list_subscriptions, self._agency(request))})

    @endpoint("GET", "/api/v1/subscriptions/<string:subscription_id>", tag="agencies")
    def get_subscription(self, request, subscription_id):
        """One subscription with its deliveries counted by status."""
        return json_response(call(self.notify.get_subscription, self._agency(request), subscription_id))

    @endpoint("DELETE", "/api/v1/subscriptions/<string:subscription_id>", tag="agencies")
    def delete_subscription(self, request, subscription_id):
        """Stop a subscription; pending deliveries are cancelled."""
        return json_response(call(self.notify.delete_subscription, self._agency(request), subscription_id))

    @endpoint("POST", "/api/v1/subscriptions/<string:subscription_id>/secret", tag="agencies")
    def rotate_subscription_secret(self, request, subscription_id):
        """A new secret; the old one stays valid for `grace_seconds` (default one day)."""
        owner = self._agency(request)
        body = read_json(request) if request.content_length else {}
        grace = body.get("grace_seconds", 86400)
        if not isinstance(grace, int) or isinstance(grace, bool):
            raise InvalidInput("invalid_request", "grace_seconds phải là số nguyên.")
        return json_response(call(self.notify.rotate_secret, owner, subscription_id, grace))

    @endpoint(
        "GET",
        "/api/v1/subscriptions/<string:subscription_id>/deliveries",
        tag="agencies",
        query=("status", "limit"),
    )
    def list_deliveries(self, request, subscription_id):
        """Delivery history, newest first; `?status=dead` is the dead-letter view."""
        owner = self._agency(request)
        try:
            limit = int(request.args.get("limit", "50"))
        except ValueError:
            raise InvalidInput("invalid_query", "limit phải là số nguyên.") from None
        return json_response(
            {
                "items": call(
                    self.notify.list_deliveries, owner, subscription_id, request.args.get("status"), limit
                )
            }
        )

    @endpoint("POST", "/api/v1/subscriptions/<string:subscription_id>/replays", tag="agencies", status=202)
    def replay(self, request, subscription_id):
        """Deliver again every matching event since a time ({since}) or after an event ({after_event_id})."""
        owner = self._agency(request)
        return json_response(
            call(self.notify.replay, owner, subscription_id, read_json(request), timeout=30), 202
        )
