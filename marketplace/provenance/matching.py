"""Which credentialed copy a picture is, if any: its C2PA manifest first, then its perceptual
fingerprint. One home for matching, called by /verify (page and API) and by other apps
(sightings of misuse)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image

from . import credentials, fingerprints
from .models import Copy, CredentialedImage

PICTURE_KINDS = "Upload a JPEG, PNG or WebP picture."
PICTURE_FORMATS = ("JPEG", "PNG", "WEBP")
# The errors Pillow raises on a file it cannot take for a picture (or refuses to decode).
UNREADABLE = (
    OSError,
    ValueError,
    SyntaxError,
    Image.DecompressionBombWarning,
    Image.DecompressionBombError,
)


@dataclass(frozen=True)
class Match:
    """A picture found to be one of the copies Likeness signed.

    - `image`: the CredentialedImage (its `use`, and through it the licence, are loaded);
    - `copy`: `"credentialed"` or `"labelled"` (Copy), which of its two copies;
    - `method`: `"manifest"` (its own valid C2PA manifest, signed by the platform) or
      `"fingerprint"` (no usable manifest; its pHash and dHash are near the copy's);
    - `changed`: the file is not byte for byte the copy Likeness signed (always True for
      a fingerprint match: a stripped picture is a re-encoded one);
    - `distance`: for a fingerprint match, the pHash Hamming distance (0–64, lower is
      closer; a match is at most fingerprints.MAX_PHASH_DISTANCE); None for a manifest one.
    """

    image: CredentialedImage
    copy: str
    method: str
    changed: bool
    distance: int | None = None

    MANIFEST = "manifest"
    FINGERPRINT = "fingerprint"


def picture_problem(data: bytes) -> str:
    """Why `data` is not a picture to check, from its header only (its pixels are not
    decoded, so a decompression bomb costs nothing); empty if it is one."""
    if len(data) > settings.IMAGE_MAX_BYTES:
        return f"The file is larger than {settings.IMAGE_MAX_BYTES // (1024 * 1024)} MB."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind, (width, height) = probe.format or "", probe.size
    except UNREADABLE:
        return PICTURE_KINDS
    if kind not in PICTURE_FORMATS:
        return PICTURE_KINDS
    if width * height > settings.IMAGE_MAX_PIXELS:
        limit = settings.IMAGE_MAX_PIXELS // 1_000_000
        return f"The image is {width}×{height} pixels; the limit is {limit} megapixels."
    return ""


def _with_use(queryset: object) -> object:
    return queryset.select_related(  # type: ignore[attr-defined]
        "use__licence__terms", "use__licence__twin"
    )


def manifest_match(data: bytes, reading: credentials.ManifestReading) -> Match | None:
    """The copy a manifest signed by the platform names, if it is on record."""
    if not reading.found or not reading.signed_by_platform:
        return None
    label = reading.active_label
    image = (
        _with_use(CredentialedImage.objects)  # type: ignore[attr-defined]
        .filter(manifest_label=label)
        .first()
    )
    copy = Copy.CREDENTIALED
    if image is None:
        image = (
            _with_use(CredentialedImage.objects)  # type: ignore[attr-defined]
            .filter(labelled_manifest_label=label)
            .first()
        )
        copy = Copy.LABELLED
    if image is None:
        return None
    signed_sha256 = image.sha256 if copy == Copy.CREDENTIALED else image.labelled_sha256
    changed = reading.content_changed or hashlib.sha256(data).hexdigest() != signed_sha256
    return Match(image=image, copy=copy, method=Match.MANIFEST, changed=changed)


def fingerprint_match(data: bytes) -> Match | None:
    """The stored copy whose fingerprint is nearest the picture's, within the limits. The
    caller has checked `data` with `picture_problem`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            hashes = fingerprints.hashes_of_bytes(data)
    except UNREADABLE:
        return None
    nearest = fingerprints.nearest(hashes)
    if nearest is None:
        return None
    image = (
        _with_use(CredentialedImage.objects)  # type: ignore[attr-defined]
        .filter(pk=nearest.image_id)
        .first()
    )
    if image is None:
        return None
    return Match(
        image=image,
        copy=nearest.copy,
        method=Match.FINGERPRINT,
        changed=True,
        distance=nearest.phash_distance,
    )


def find_match(image_bytes: bytes) -> Match | None:
    """The credentialed copy `image_bytes` is: by its manifest, signed by the platform, else
    by its fingerprint (a stripped, re-encoded, resized or slightly cropped copy; also a
    copy re-signed by someone else). None for anything else, including files that are no
    picture, too large, or bombs. Never raises."""
    if picture_problem(image_bytes):
        return None
    found = manifest_match(image_bytes, credentials.read(image_bytes))
    return found or fingerprint_match(image_bytes)
