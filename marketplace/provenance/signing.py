"""The platform's Content Credentials key: its own certificate authority and, issued by it,
the end-entity certificate that signs C2PA manifests (c2pa-rs refuses a self-signed one).

Both are made once per installation (`manage.py ensure_signing_key`, or lazily by the first
signature) and kept beside the contract seal, in `SIGNING_KEY_DIR`. A production deployment
whose images third-party viewers should show as "trusted" needs a certificate from a CA on
the C2PA trust list instead; this one is trusted by our own verification page only."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

logger = logging.getLogger("likeness.provenance")

CA_FILE = "c2pa-ca.pem"
SIGNER_FILE = "c2pa-signer.pem"
CA_YEARS = 20
SIGNER_YEARS = 5


@dataclass(frozen=True)
class C2paCredentials:
    chain_pem: bytes  # the end-entity certificate, then the CA's
    key_pem: bytes
    ca_pem: bytes


def key_dir() -> Path:
    return Path(settings.SIGNING_KEY_DIR)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Likeness"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _new_ca_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Likeness Content Credentials CA")
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM) + _private_pem(key)


def _new_signer_pem(ca_pem: bytes) -> bytes:
    ca_cert = x509.load_pem_x509_certificate(ca_pem)
    ca_key = serialization.load_pem_private_key(ca_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TypeError("The Content Credentials CA key must be EC P-256")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Likeness Content Credentials"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * SIGNER_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM)
        + ca_cert.public_bytes(serialization.Encoding.PEM)
        + _private_pem(key)
    )


def _write_once(path: Path, content: bytes) -> bool:
    """Write `content` to `path` unless it exists; True if this call wrote it. Written to a
    temporary file and hard-linked into place, so racing workers keep exactly one."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".c2pa-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(tmp)
    return True


def ensure_c2pa_key() -> tuple[Path, bool]:
    """The CA and the signing certificate, each created if missing. Returns (the signer's
    path, whether anything was created)."""
    ca_path, signer_path = key_dir() / CA_FILE, key_dir() / SIGNER_FILE
    created = False
    if not ca_path.exists():
        created = _write_once(ca_path, _new_ca_pem())
    if not signer_path.exists():
        created = _write_once(signer_path, _new_signer_pem(ca_path.read_bytes())) or created
    if created:
        logger.info("provenance.c2pa_key_created", extra={"path": str(signer_path)})
    return signer_path, created


def _pem_blocks(data: bytes, kind: bytes) -> list[bytes]:
    begin, end = b"-----BEGIN " + kind + b"-----", b"-----END " + kind + b"-----"
    blocks, start = [], data.find(begin)
    while start != -1:
        stop = data.index(end, start) + len(end)
        blocks.append(data[start:stop] + b"\n")
        start = data.find(begin, stop)
    return blocks


def load_c2pa_credentials() -> C2paCredentials:
    """The signing chain, its key and the CA certificate (never the CA's key)."""
    signer_path, _ = ensure_c2pa_key()
    signer = signer_path.read_bytes()
    ca_certs = _pem_blocks((key_dir() / CA_FILE).read_bytes(), b"CERTIFICATE")
    return C2paCredentials(
        chain_pem=b"".join(_pem_blocks(signer, b"CERTIFICATE")),
        key_pem=_pem_blocks(signer, b"PRIVATE KEY")[0],
        ca_pem=ca_certs[0],
    )
