"""Ending sessions over the API: a caller signs out the token it holds; a province administrator revokes every
session of an officer (they left, moved, or a device was lost). The rules are in
services/gateway/sessions.py."""

from __future__ import annotations

from datetime import datetime, timezone

from nameko.timer import timer

from services.chassis.errors import Forbidden
from services.chassis.rpc import call
from services.gateway import schemas
from services.gateway import sessions as session_rules
from services.gateway.auth import viewer
from services.gateway.problems import json_response
from services.gateway.routing import endpoint, read_json


class SessionRoutes:
    @endpoint("POST", "/api/v1/sign-out", tag="sessions")
    def api_sign_out(self, request):
        """End the session of the presented token: from now on it gets 401 on every gateway replica, as a Bearer
        token and as the web cookie."""
        principal = self.auth.principal(request)
        with self.db.unit() as uow:
            session_rules.end(uow.session, self.auth.bearer(request), principal, datetime.now(timezone.utc))
        self.log.info("api_signed_out", kind=principal.kind)
        return json_response({"signed_out": True})

    @endpoint("POST", "/api/v1/sessions/revocations", tag="sessions", body=schemas.RevokeSessionsRequest)
    def revoke_sessions(self, request):
        """Revoke every session of an officer (province administrators, `admin` role): each token issued to them
        so far gets 401 at once on every replica; a new sign-in works. Audited in the gateway's chain."""
        principal = self.auth.principal(request)
        if principal.kind != "officer":
            raise Forbidden("officers_only", "Chức năng dành cho cán bộ quản trị.")
        body = schemas.validate_body(schemas.RevokeSessionsRequest, read_json(request))
        call(self.workflow.check_province_admin, viewer(principal), "thu hồi phiên đăng nhập của cán bộ")
        now = datetime.now(timezone.utc)
        with self.db.unit() as uow:
            ended = session_rules.revoke_subject(uow.session, body["subject"], principal.subject, now)
            uow.audit(
                principal.subject,
                "sessions_revoked",
                body["subject"],
                {"ended_sessions": ended, "reason": body["reason"], "admin_unit": principal.unit},
            )
        self.log.info("sessions_revoked", target=body["subject"], ended_sessions=ended)
        return json_response(
            {
                "subject": body["subject"],
                "ended_sessions": ended,
                "revoked_at": now.isoformat().replace("+00:00", "Z"),
            }
        )

    @timer(interval=3600)
    def purge_sessions(self):
        """Forget sessions whose token expired more than a day ago (refused by their expiry anyway). Every replica
        runs it; the DELETE is idempotent, so running twice costs a statement, nothing more."""
        with self.db.unit() as uow:
            purged = session_rules.purge(uow.session, datetime.now(timezone.utc))
        if purged:
            self.log.info("sessions_purged", count=purged)
