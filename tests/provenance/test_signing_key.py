"""`ensure_signing_key` also makes the platform's Content Credentials CA and, issued by it,
the ES256 end-entity certificate that signs manifests (c2pa-rs refuses a self-signed one)."""

from __future__ import annotations

import io

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import call_command

from marketplace.provenance.signing import CA_FILE, SIGNER_FILE, load_c2pa_credentials


def test_the_command_makes_a_ca_and_a_signing_certificate_it_issued(settings, tmp_path):
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    out = io.StringIO()

    call_command("ensure_signing_key", stdout=out)
    call_command("ensure_signing_key", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[1].startswith("Created the Content Credentials key")
    assert lines[3].startswith("Kept the Content Credentials key")
    assert (tmp_path / "keys" / CA_FILE).stat().st_mode & 0o777 == 0o600
    credentials = load_c2pa_credentials()
    signer, ca = x509.load_pem_x509_certificates(credentials.chain_pem)
    assert ca.public_bytes(Encoding.PEM) == credentials.ca_pem
    assert signer.issuer == ca.subject != signer.subject
    signer.verify_directly_issued_by(ca)
    assert isinstance(signer.public_key(), ec.EllipticCurvePublicKey)
    assert signer.public_key().curve.name == "secp256r1"
    usage = signer.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # The CA's private key never leaves its own file.
    assert b"PRIVATE KEY" not in credentials.ca_pem
    assert (tmp_path / "keys" / SIGNER_FILE).read_bytes().count(b"PRIVATE KEY-----") == 2
