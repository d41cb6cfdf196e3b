"""The file store for uploads: streamed to disk with a size limit, content checked (not the name), SHA-256
computed, nothing left behind when refused.

Local directory by default (`FILE_STORE_DIR`, `var/files`); on Kubernetes a shared volume mounted by the
gateway (which receives files) and intake (which owns their records).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from services.chassis import pdfcheck
from services.chassis.config import REPO_ROOT
from services.chassis.errors import ServiceError

CHUNK = 64 * 1024
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Accepted types and how their content starts (magic numbers).
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


class UploadRefused(ServiceError):
    http_status = 422
    title = "Tệp không được chấp nhận"


class UploadTooLarge(UploadRefused):
    http_status = 413
    title = "Tệp quá lớn"


class UnsupportedUpload(UploadRefused):
    http_status = 415
    title = "Kiểu tệp không được hỗ trợ"


class Readable(Protocol):
    """What an upload arrives as (a WSGI input stream, a file): read in chunks."""

    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True)
class StoredFile:
    id: str
    path: Path
    media_type: str
    size_bytes: int
    sha256: str


def sniff(head: bytes) -> str | None:
    for media_type, signatures in SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            return media_type
    return None


def _accepted_type(declared_type: str) -> str:
    """The declared Content-Type without parameters, if it is one the store accepts."""
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared not in SIGNATURES:
        raise UnsupportedUpload(
            "unsupported_type", "Chỉ nhận tệp PDF, JPEG hoặc PNG.", {"accepted": sorted(SIGNATURES)}
        )
    return declared


def _check_content(path: Path, declared: str, size: int, head: bytes) -> None:
    """Refuse an empty file, content that is not the declared type, and a PDF that could run code."""
    if size == 0:
        raise UploadRefused("empty_file", "Tệp rỗng.")
    actual = sniff(head)
    if actual != declared:
        raise UploadRefused(
            "content_mismatch",
            "Nội dung tệp không khớp với loại tệp khai báo (tệp có thể bị ngụy trang).",
            {"declared": declared, "detected": actual or "unknown"},
        )
    if declared == "application/pdf":
        found = pdfcheck.problems(path.read_bytes())
        if found:
            raise UploadRefused(
                "unsafe_pdf",
                "Tệp PDF chứa mã JavaScript, lệnh khởi chạy chương trình "
                "hoặc nội dung HTML; hãy xuất lại tệp PDF thông thường.",
                {"found": found},
            )


class FileStore:
    def __init__(self, root: Path | None = None, max_bytes: int | None = None) -> None:
        self.root = Path(root or os.environ.get("FILE_STORE_DIR") or REPO_ROOT / "var" / "files")
        self.max_bytes = max_bytes or int(os.environ.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))

    def receive(self, stream: Readable, declared_type: str, content_length: int | None = None) -> StoredFile:
        """Stream an upload to disk. The declared Content-Type must be accepted and match the content."""
        declared = _accepted_type(declared_type)
        if content_length is not None and content_length > self.max_bytes:
            raise self._too_large()
        file_id = str(uuid.uuid4())
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / f"{file_id}.part"
        try:
            sha256, size, head = self._write(stream, tmp)
            _check_content(tmp, declared, size, head)
            final = self.root / file_id[:2] / file_id
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredFile(file_id, final, declared, size, sha256)

    def _write(self, stream: Readable, path: Path) -> tuple[str, int, bytes]:
        """Copy `stream` to `path` in chunks, refusing it once past the size limit: its SHA-256 (hex), its size
        and its first 16 bytes (for `sniff`)."""
        digest, size, head = hashlib.sha256(), 0, b""
        with open(path, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_large()
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest(), size, head

    def _too_large(self) -> UploadTooLarge:
        return UploadTooLarge(
            "too_large", f"Tệp vượt quá {self.max_bytes // (1024 * 1024)} MB.", {"max_bytes": self.max_bytes}
        )

    def path_of(self, file_id: str) -> Path | None:
        """Where a stored file is, by its id (a UUID); None for anything else or a missing file."""
        try:
            file_id = str(uuid.UUID(str(file_id)))
        except ValueError:
            return None
        path = self.root / file_id[:2] / file_id
        return path if path.is_file() else None

    def existing(self, relative: str) -> Path | None:
        """A file under the store by its path relative to the root; None if missing or outside the root."""
        root = self.root.resolve()
        path = (root / relative).resolve()
        return path if path.is_relative_to(root) and path.is_file() else None

    def delete(self, stored: StoredFile) -> None:
        stored.path.unlink(missing_ok=True)

    def files(self) -> list[Path]:
        """Every stored file (tests check that refusals leave nothing)."""
        if not self.root.exists():
            return []
        return [p for p in self.root.rglob("*") if p.is_file()]
