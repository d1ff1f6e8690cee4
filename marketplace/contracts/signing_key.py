"""The platform's sealing key: a self-signed certificate and its RSA key, made once per
installation (`manage.py ensure_signing_key`, or lazily by the first seal)."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

logger = logging.getLogger("likeness.contracts")

SEAL_FILE = "platform-seal.pem"
COMMON_NAME = "Likeness platform contract seal"
VALID_YEARS = 10


def key_dir() -> Path:
    return Path(settings.SIGNING_KEY_DIR)


def seal_path() -> Path:
    return key_dir() / SEAL_FILE


def _new_seal_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Likeness"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM) + key_pem


def ensure_signing_key() -> tuple[Path, bool]:
    """The seal file, created if missing. Returns (path, created).

    Safe under concurrency: the pair is written to a temporary file and hard-linked into
    place, so two workers racing keep exactly one key and both use it."""
    path = seal_path()
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".seal-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_new_seal_pem())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path, False
    finally:
        os.unlink(tmp)
    logger.info("contracts.seal_key_created", extra={"path": str(path)})
    return path, True


def load_seal() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The certificate and key, creating them first if this installation has none."""
    path, _ = ensure_signing_key()
    data = path.read_bytes()
    cert = x509.load_pem_x509_certificate(data)
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("The platform seal key must be RSA")
    return cert, key
