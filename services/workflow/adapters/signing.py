"""Signed results: the result document is rendered (adapters/result_pdf.py), signed PAdES with the agency's
certificate (pyHanko), kept in the file store, and can be verified by anyone: intact (not modified after
signing), signed by a certificate that chains to the configured trust root, and not revoked.

Configuration: MOTCUA_SIGNING_P12 (PKCS#12 path; per agency MOTCUA_SIGNING_P12_<AGENCY_CODE> with dots as
underscores), MOTCUA_SIGNING_PASSPHRASE_FILE (or MOTCUA_SIGNING_PASSPHRASE; per agency with the same suffix),
MOTCUA_SIGNING_TRUST_ROOT (PEM), PUBLIC_URL for the verification link, FILE_STORE_DIR for the signed files.
Without MOTCUA_SIGNING_P12 results are issued unsigned, as before."""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from motcua.workflow.v1.events_pb2 import ResultIssued
from nameko.extensions import DependencyProvider
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from services.chassis.config import REPO_ROOT
from services.workflow.adapters import result_pdf, storage

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _secret(name: str, suffix: str) -> str | None:
    for key in (f"{name}{suffix}", name) if suffix else (name,):
        if os.environ.get(f"{key}_FILE"):
            return Path(os.environ[f"{key}_FILE"]).read_text().strip()
        if os.environ.get(key):
            return os.environ[key]
    return None


class Signer:
    def __init__(self, p12_path: str, passphrase: str):
        self.signer = signers.SimpleSigner.load_pkcs12(pfx_file=p12_path, passphrase=passphrase.encode())
        if self.signer is None:
            raise ValueError(f"cannot load the signing certificate from {p12_path}")
        self.subject = self.signer.signing_cert.subject.human_friendly

    def sign(self, pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(
            field_name="MotCuaResult",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="Kết quả giải quyết thủ tục hành chính",
            location="Việt Nam",
        )
        return signers.sign_pdf(writer, meta, signer=self.signer).getvalue()


def load_trust_root(path: str) -> asn1_x509.Certificate:
    data = Path(path).read_bytes()
    if asn1_pem.detect(data):
        _, _, data = asn1_pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def verify(pdf: bytes, trust_root: asn1_x509.Certificate | None) -> dict:
    """What the signature says about these bytes. Never raises on bad input: a PDF that cannot be read or
    has no signature is reported as not intact."""
    out = {
        "intact": False,
        "trusted": False,
        "covers_whole_document": False,
        "signer": "",
        "signed_at": "",
        "verification_code": "",
        "problem": "",
    }
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        subject = str(reader.trailer["/Info"].get("/Subject", "")) if "/Info" in reader.trailer else ""
        if subject.startswith("motcua-verification:"):
            out["verification_code"] = subject.split(":", 1)[1]
        if not reader.embedded_signatures:
            out["problem"] = "no_signature"
            return out
        context = ValidationContext(
            trust_roots=[trust_root] if trust_root is not None else [], allow_fetching=False
        )
        status = validate_pdf_signature(reader.embedded_signatures[-1], context)
    except Exception as exc:  # noqa: BLE001 - any unreadable input is simply "not valid"
        out["problem"] = f"unreadable: {type(exc).__name__}"
        return out
    out["intact"] = bool(status.intact and status.valid)
    out["trusted"] = bool(status.trusted)
    out["covers_whole_document"] = status.coverage.name == "ENTIRE_FILE"
    out["signer"] = status.signing_cert.subject.human_friendly
    when = status.signer_reported_dt
    out["signed_at"] = when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if when else ""
    return out


class ResultSigning(DependencyProvider):
    """Signers per agency (or the default), the trust root, and where signed files go."""

    def setup(self):
        self._signers: dict[str, Signer | None] = {}
        self.enabled = bool(os.environ.get("MOTCUA_SIGNING_P12"))
        root = os.environ.get("MOTCUA_SIGNING_TRUST_ROOT")
        self.trust_root = load_trust_root(root) if root else None
        self.public_url = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        self.store = Path(os.environ.get("FILE_STORE_DIR", str(REPO_ROOT / "var" / "files"))) / "results"

    def get_dependency(self, worker_ctx):
        return self

    def signer_for(self, agency_code: str) -> Signer:
        suffix = "_" + agency_code.replace(".", "_").replace("-", "_") if agency_code else ""
        if agency_code not in self._signers:
            path = os.environ.get(f"MOTCUA_SIGNING_P12{suffix}") or os.environ["MOTCUA_SIGNING_P12"]
            passphrase = _secret("MOTCUA_SIGNING_PASSPHRASE", suffix) or ""
            self._signers[agency_code] = Signer(path, passphrase)
        return self._signers[agency_code]

    def produce(self, payload: dict, code: str) -> tuple[bytes, str]:
        """Render and sign the result; write it to the file store; return (bytes, stored path)."""
        url = f"{self.public_url}/verify/{code}"
        pdf = result_pdf.render(
            {**payload, "dossier_code": payload["dossier_code"], "verification_code": code}, url
        )
        signer = self.signer_for(payload["issuer_agency_code"])
        signed = signer.sign(pdf)
        self.store.mkdir(parents=True, exist_ok=True)
        path = self.store / f"{code}.pdf"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(signed)
        tmp.replace(path)
        return signed, str(path)

    def verify(self, pdf: bytes) -> dict:
        return verify(pdf, self.trust_root)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


# -- issuing: the signed file, its row and the ResultIssued event commit together --------------------------------
def hold_for_signing(session, payload: dict, now: datetime) -> str:
    """Record the result as `pending` in the caller's transaction; returns the verification code."""
    code = new_code()
    session.execute(
        storage.result_documents.insert().values(
            verification_code=code,
            dossier_code=payload["dossier_code"],
            agency_code=payload["issuer_agency_code"],
            payload=json.dumps(payload, ensure_ascii=False),
            status="pending",
            attempts=0,
            created_at=now,
        )
    )
    return code


def sign_and_issue(uow, signing: ResultSigning, code: str, now: datetime) -> None:
    """Render, sign and store the pending result `code`, mark it signed and publish ResultIssued with the
    document's hash and verification link, all in `uow`'s transaction. Raises if signing fails: the row stays
    pending and is retried (see services/workflow/use_cases/results.py)."""
    docs = storage.result_documents
    row = uow.session.execute(docs.select().where(docs.c.verification_code == code)).mappings().one()
    payload = json.loads(row["payload"])
    signed, path = signing.produce(payload, code)
    digest = sha256(signed)
    signer = signing.signer_for(row["agency_code"]).subject
    uow.session.execute(
        docs.update()
        .where(docs.c.verification_code == code)
        .values(status="signed", sha256=digest, file_ref=path, signer=signer, signed_at=now)
    )
    uow.publish(
        ResultIssued,
        {
            **payload,
            "document_sha256": digest,
            "document_ref": f"results/{code}.pdf",
            "verification_code": code,
            "verification_url": f"{signing.public_url}/verify/{code}",
            "signer": signer,
        },
        subject=payload["dossier_code"],
    )


def public_view(row, catalogue=None) -> dict:
    """What anyone may see about a signed result: what is printed on its face, nothing more."""
    payload = json.loads(row["payload"])
    return {
        "verification_code": row["verification_code"],
        "dossier_code": row["dossier_code"],
        "title": payload.get("title", ""),
        "issuer_agency_code": row["agency_code"],
        "issuer_name": payload.get("issuer_name", ""),
        "issued_on": payload.get("issued_on", ""),
        "expires_on": payload.get("expires_on", ""),
        "status": row["status"],
        "signer": row["signer"],
        "signed_at": row["signed_at"].astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        if row["signed_at"]
        else "",
        "sha256": row["sha256"] or "",
        "revoked": row["revoked_at"] is not None,
        "revoked_at": row["revoked_at"].astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        if row["revoked_at"]
        else "",
        "revoked_reason": row["revoked_reason"],
    }
