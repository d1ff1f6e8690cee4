"""Which credentialed picture a sighting is, if any: the one place misuse asks provenance.

It asks what `/verify` asks (`provenance.matching.find_match`): the picture's Content
Credentials (a manifest signed by the platform naming a use on record), then, for a picture
whose manifest a social network stripped, its perceptual fingerprint.

A sighting given by its address only is matched against the addresses brands reported as the
asset of their uses of the twin. The address itself is never fetched: the server asks no
third-party host for anything a user named.
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.payments.models import UsageReport
from marketplace.provenance.matching import find_match
from marketplace.talent.models import Twin


@dataclass(frozen=True)
class SightingMatch:
    """The use a sighting is a copy of, and how that was found (`Sighting.Method`)."""

    use_id: int
    method: str


def match_sighting(image_bytes: bytes) -> SightingMatch | None:
    """The use whose credentialed (or labelled) picture `image_bytes` is, by its manifest or
    its fingerprint; None when it is none of ours. Never raises (an unreadable or forged
    manifest is no match by manifest; the fingerprint may still find the picture)."""
    match = find_match(image_bytes)
    if match is None:
        return None
    return SightingMatch(use_id=match.image.use_id, method=match.method)


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
