"""Which credentialed picture a sighting is, if any: the one place misuse asks provenance.

Today it asks what `/verify` asks, the picture's Content Credentials (a manifest signed by the
platform naming a use on record). A perceptual-fingerprint look-up (for pictures whose
manifest a social network stripped) belongs here too: switch `match_sighting` to
`provenance.matching.find_match` when it exists, and nothing else changes.

A sighting given by its address only is matched against the addresses brands reported as the
asset of their uses of the twin. The address itself is never fetched: the server asks no
third-party host for anything a user named.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.payments.models import UsageReport
from marketplace.provenance import credentials
from marketplace.provenance.models import CredentialedImage
from marketplace.talent.models import Twin


@dataclass(frozen=True)
class SightingMatch:
    """The use a sighting is a copy of, and how that was found (`Sighting.Method`)."""

    use_id: int
    method: str


def match_sighting(image_bytes: bytes) -> SightingMatch | None:
    """The use whose credentialed picture `image_bytes` is, by its manifest; None when it
    carries none of ours. Never raises (an unreadable or forged manifest is no match)."""
    reading = credentials.read(image_bytes)
    if not reading.found or not reading.signed_by_platform:
        return None
    use_id = (
        CredentialedImage.objects.filter(manifest_label=reading.active_label)
        .values_list("use_id", flat=True)
        .first()
    )
    return SightingMatch(use_id=use_id, method="manifest") if use_id is not None else None


def match_address(url: str, twin: Twin) -> SightingMatch | None:
    """The latest use of `twin` whose brand reported `url` as its asset; None if none did."""
    if not url:
        return None
    use_id = (
        UsageReport.objects.filter(licence__twin=twin, asset_reference=url.strip()[:300])
        .order_by("-used_on", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return SightingMatch(use_id=use_id, method="asset_reference") if use_id is not None else None
