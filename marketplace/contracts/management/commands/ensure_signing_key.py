from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes
from django.core.management.base import BaseCommand

from marketplace.contracts.signing_key import ensure_signing_key, load_seal
from marketplace.provenance.signing import ensure_c2pa_key


class Command(BaseCommand):
    help = (
        "Create the platform's contract-sealing certificate and key, and its Content "
        "Credentials CA and signing certificate, if they are missing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        path, created = ensure_signing_key()
        cert, _ = load_seal()
        fingerprint = cert.fingerprint(hashes.SHA256()).hex()
        self.stdout.write(
            f"{'Created' if created else 'Kept'} the platform seal {path} "
            f"(certificate SHA-256 {fingerprint[:16]}…, valid until "
            f"{cert.not_valid_after_utc:%Y-%m-%d})"
        )
        c2pa_path, c2pa_created = ensure_c2pa_key()
        self.stdout.write(
            f"{'Created' if c2pa_created else 'Kept'} the Content Credentials key {c2pa_path}"
        )
