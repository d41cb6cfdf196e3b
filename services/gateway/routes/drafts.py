"""Uploads and drafts: one file at a time (checked by content, kept by intake for the caller), and partly
filled dossiers to resume later. Drafts belong to whoever saved them."""

from __future__ import annotations

from services.chassis.rpc import call
from services.gateway.auth import viewer
from services.gateway.files import body_stream, receive_upload
from services.gateway.problems import json_response
from services.gateway.routing import created, endpoint, idempotency_key, read_json


class DraftRoutes:
    @endpoint("POST", "/api/v1/uploads", status=201, idempotent=True)
    def upload(self, request):
        """Upload one file (PDF, JPEG or PNG; raw body with its Content-Type; `X-File-Name` optional). The
        content is checked, not the name; refused files leave nothing behind.

        `Idempotency-Key` header: a retry with the same key and the same content answers with the first upload's
        record (200, `replayed: true`) and keeps no second copy; the same key with other content: 409."""
        principal = self.auth.principal(request)
        record = receive_upload(
            self.intake,
            body_stream(request),
            request.headers.get("Content-Type", ""),
            request.content_length,
            request.headers.get("X-File-Name") or "",
            viewer(principal),
            idempotency_key(request),
        )
        record.pop("file_name")
        return created(record)

    @endpoint("POST", "/api/v1/drafts", tag="drafts", status=201, idempotent=True)
    def create_draft(self, request):
        """Save a partly filled dossier to resume later.

        `Idempotency-Key` header: a retry with the same key and body answers with the draft the first request
        created (200, `replayed: true`); the same key with another body: 409."""
        principal = self.auth.principal(request)
        return created(
            call(
                self.intake.save_draft, None, read_json(request), viewer(principal), idempotency_key(request)
            )
        )

    @endpoint("PUT", "/api/v1/drafts/<string:draft_id>", tag="drafts")
    def update_draft(self, request, draft_id):
        """Replace a draft's content."""
        principal = self.auth.principal(request)
        return json_response(call(self.intake.save_draft, draft_id, read_json(request), viewer(principal)))

    @endpoint("GET", "/api/v1/drafts/<string:draft_id>", tag="drafts")
    def get_draft(self, request, draft_id):
        """A saved draft."""
        principal = self.auth.principal(request)
        return json_response(call(self.intake.get_draft, draft_id, viewer(principal)))

    @endpoint("GET", "/api/v1/drafts", tag="drafts")
    def list_drafts(self, request):
        """The caller's drafts, last changed first."""
        principal = self.auth.principal(request)
        return json_response({"items": call(self.intake.list_drafts, viewer(principal))})

    @endpoint("DELETE", "/api/v1/drafts/<string:draft_id>", tag="drafts")
    def delete_draft(self, request, draft_id):
        """Discard a draft."""
        principal = self.auth.principal(request)
        return json_response(call(self.intake.delete_draft, draft_id, viewer(principal)))
