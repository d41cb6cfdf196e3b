"""The gateway and the file store. In: one way for every upload (API, submission wizard, supplement answers): the
content is checked while it is streamed to disk, then intake records it for the caller; if intake refuses or
cannot be reached, the stored file is removed, so a refused upload leaves nothing behind. Out: the signed result
of a dossier, where workflow says it is."""

from __future__ import annotations

from pathlib import Path

from services.chassis.errors import NotFound
from services.chassis.filestore import FileStore
from services.chassis.rpc import call


def body_stream(request):
    """The request body as a stream, chunked transfer encoding included.

    Werkzeug reads a body without Content-Length as empty unless the server says the input ends by itself
    (`wsgi.input_terminated`); eventlet's server decodes chunked bodies but does not say so, so a chunked upload
    arrived empty. The file store bounds what it reads, so the stream is safe to read to its end."""
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        request.environ["wsgi.input_terminated"] = True
    return request.stream


def receive_upload(
    intake,
    stream,
    media_type: str,
    length: int | None,
    file_name: str,
    who: dict,
    idempotency_key: str | None = None,
) -> dict:
    """Store and register one file; returns intake's record (`id`, `sha256`, `size_bytes`, `media_type`, and
    `replayed` when the key answered an earlier upload, whose file is the one kept)."""
    store = FileStore()
    stored = store.receive(stream, media_type, length)
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or stored.id
    try:
        record = call(
            intake.register_upload,
            {
                "id": stored.id,
                "file_name": name,
                "media_type": stored.media_type,
                "size_bytes": stored.size_bytes,
                "sha256": stored.sha256,
                "path": str(stored.path),
            },
            who,
            idempotency_key,
        )
    except BaseException:
        store.delete(stored)
        raise
    if record["id"] != stored.id:  # a replay: the first upload's file is the one kept
        store.delete(stored)
    return {**record, "file_name": name}


def signed_result_path(result: dict) -> Path:
    """The file of a signed result (`result` from workflow.result_document); NotFound until it is written."""
    path = FileStore().existing(result["file"])
    if path is None:
        raise NotFound("result_not_ready", "Tệp kết quả chưa sẵn sàng.")
    return path
