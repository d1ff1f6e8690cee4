"""Image checks and processing. Content is verified by decoding, never trusted by name."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.core.errors import ValidationFailed

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_SIZE = (480, 600)


@dataclass(frozen=True)
class CheckedImage:
    format: str
    width: int
    height: int


def check_upload(upload: UploadedFile) -> CheckedImage:
    """Decode the upload fully and enforce size, pixel and format limits.

    Raises ValidationFailed with a message a person can act on.
    """
    if upload.size is not None and upload.size > settings.IMAGE_MAX_BYTES:
        limit = settings.IMAGE_MAX_BYTES // (1024 * 1024)
        raise ValidationFailed(f"The file is larger than {limit} MB.", field="image")
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                if width * height > settings.IMAGE_MAX_PIXELS:
                    raise ValidationFailed(
                        f"The image is {width}×{height} pixels; the limit is "
                        f"{settings.IMAGE_MAX_PIXELS // 1_000_000} megapixels.",
                        field="image",
                    )
                if fmt not in ALLOWED_FORMATS:
                    raise ValidationFailed("Upload a JPEG, PNG or WebP image.", field="image")
                probe.verify()
        upload.seek(0)
        with Image.open(upload) as full:
            full.load()  # verify() does not decode pixels; a truncated file fails here
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed("The image has too many pixels.", field="image") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(
            "The file is not a readable image (it may be damaged or not a picture).", field="image"
        ) from exc
    finally:
        upload.seek(0)
    if min(width, height) < settings.IMAGE_MIN_SIDE:
        raise ValidationFailed(
            f"The image is too small; each side needs at least {settings.IMAGE_MIN_SIDE} pixels.",
            field="image",
        )
    return CheckedImage(format=fmt, width=width, height=height)


def sanitised(data: bytes) -> tuple[bytes, str, tuple[int, int]]:
    """Re-encode without metadata (EXIF, GPS, XMP), applying the EXIF orientation first."""
    with Image.open(io.BytesIO(data)) as img:
        fmt = img.format or "JPEG"
        upright = ImageOps.exif_transpose(img)
        clean = _without_metadata(upright)
        out = io.BytesIO()
        if fmt == "PNG":
            clean.save(out, "PNG", optimize=True)
        elif fmt == "WEBP":
            clean.save(out, "WEBP", quality=90)
        else:
            fmt = "JPEG"
            clean.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
        return out.getvalue(), ALLOWED_FORMATS[fmt], clean.size


def thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        thumb = ImageOps.fit(img.convert("RGB"), THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        thumb.save(out, "JPEG", quality=82, optimize=True)
        return out.getvalue()


def _without_metadata(img: Image.Image) -> Image.Image:
    mode = img.mode if img.mode in {"RGB", "RGBA", "L", "LA"} else "RGBA"
    clean = Image.new(mode, img.size)
    clean.paste(img.convert(mode))
    return clean
