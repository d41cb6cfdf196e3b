"""A local development CA and agency signing certificates (PKCS#12), for `make run` and the tests.

Every subject says NOT FOR PRODUCTION: these keys live in var/ on a developer's machine and sign nothing that
has legal value. Production certificates come from a licensed CA and are configured by path + passphrase."""

from __future__ import annotations

import argparse
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MARK = "NOT FOR PRODUCTION"


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, MARK),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def ensure_dev_ca(directory: Path, agency_name: str = "UBND tỉnh (phát triển)") -> dict:
    """Create (once) a CA and a default agency certificate under `directory`; return the paths and the
    passphrase file to configure: MOTCUA_SIGNING_P12, MOTCUA_SIGNING_PASSPHRASE_FILE, MOTCUA_SIGNING_TRUST_ROOT."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem, p12, passphrase_file = (
        directory / "ca.pem",
        directory / "agency-default.p12",
        directory / "passphrase",
    )
    if not (ca_pem.exists() and p12.exists() and passphrase_file.exists()):
        now = datetime.now(timezone.utc) - timedelta(minutes=5)
        ca_key, ca_cert = _dev_ca(now)
        key, cert = _agency_certificate(ca_key, ca_cert.subject, agency_name, now)
        passphrase = secrets.token_urlsafe(18)
        blob = pkcs12.serialize_key_and_certificates(
            b"agency-default",
            key,
            cert,
            [ca_cert],
            serialization.BestAvailableEncryption(passphrase.encode()),
        )
        passphrase_file.write_text(passphrase)
        passphrase_file.chmod(0o600)
        p12.write_bytes(blob)
        p12.chmod(0o600)
        ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return {
        "MOTCUA_SIGNING_P12": str(p12),
        "MOTCUA_SIGNING_PASSPHRASE_FILE": str(passphrase_file),
        "MOTCUA_SIGNING_TRUST_ROOT": str(ca_pem),
    }


def _key_usage(*granted: str) -> x509.KeyUsage:
    """A KeyUsage extension allowing only `granted` (the library wants every usage named, true or false)."""
    usages = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{usage: usage in granted for usage in usages})


def _dev_ca(now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The development CA: self-signed, ten years, signs certificates only (no intermediate below it)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"MotCua Dev CA - {MARK}", "MotCua development")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage("key_cert_sign", "crl_sign"), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, ca_cert


def _agency_certificate(
    ca_key: ec.EllipticCurvePrivateKey, ca_name: x509.Name, agency_name: str, now: datetime
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An agency's signing key and certificate from the CA: signatures and non-repudiation, S/MIME, 825 days."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{agency_name} - {MARK}", agency_name))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage("digital_signature", "content_commitment"), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", type=Path)
    for key, value in ensure_dev_ca(parser.parse_args().directory).items():
        print(f"{key}={value}")
