"""Sealing with the platform key (PAdES, certification signature: no changes allowed), and
checking a seal with pyHanko's validator."""

from __future__ import annotations

import io
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .signing_key import load_seal

FIELD_NAME = "LikenessPlatformSeal"
# Lower-left and upper-right corners, in points, on the certificate page (the last page).
SEAL_BOX = (57, 70, 330, 140)


def _asn1_certificate() -> tuple[asn1_x509.Certificate, asn1_keys.PrivateKeyInfo]:
    cert, key = load_seal()
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    asn1_key = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return asn1_cert, asn1_key


def platform_certificate() -> asn1_x509.Certificate:
    return _asn1_certificate()[0]


def seal_pdf(data: bytes, *, reason: str, location: str = "Likeness platform") -> bytes:
    """Certify the PDF: any later change to it shows in a PDF reader and in `check_seal`."""
    cert, key = _asn1_certificate()
    signer = signers.SimpleSigner(
        signing_cert=cert,
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        location=location,
        name="Likeness",
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        md_algorithm="sha256",
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        stamp_style=TextStampStyle(
            stamp_text="Sealed by %(signer)s\n%(ts)s\nAny change after sealing voids this seal.",
            border_width=1,
        ),
        new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=-1, box=SEAL_BOX),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    out = pdf_signer.sign_pdf(writer)
    return out.getvalue()


@dataclass(frozen=True)
class SealCheck:
    ok: bool
    intact: bool
    trusted: bool
    covers_whole_file: bool
    summary: str


def check_seal(data: bytes) -> SealCheck:
    """Validate the platform seal: signature intact and by our key, covering every byte."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        seals = [s for s in reader.embedded_signatures if s.field_name == FIELD_NAME]
        if not seals:
            return SealCheck(False, False, False, False, "no platform seal")
        context = ValidationContext(trust_roots=[platform_certificate()], allow_fetching=False)
        status = validate_pdf_signature(seals[0], context)
    except Exception as exc:  # a damaged file is a failed check, whatever broke
        return SealCheck(False, False, False, False, f"unreadable: {type(exc).__name__}: {exc}")
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    ok = bool(status.intact and status.valid and status.trusted and whole)
    return SealCheck(ok, bool(status.intact), bool(status.trusted), whole, status.summary())
