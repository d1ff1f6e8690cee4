"""The visible EU AI Act (art. 50) label drawn on the labelled copy: white text on a near-black
plate (contrast above 15:1), at least 14 px high and ~3 % of the picture's shorter side, in
the corner and language the brand chose."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from .options import LabelPosition, label_text

MIN_TEXT_PX = 14
PLATE = (17, 17, 17, 224)
TEXT = (255, 255, 255, 255)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def labelled(data: bytes, *, language: str, position: str, fmt: str) -> bytes:
    """The picture re-encoded with the label drawn on it, in its own format (`fmt`:
    JPEG, PNG or WEBP). The caller signs the result: this is the copy's last re-encode."""
    with Image.open(io.BytesIO(data)) as source:
        picture = source.convert("RGBA")
    width, height = picture.size
    text = label_text(language)
    size = max(MIN_TEXT_PX, round(min(width, height) * 0.03))
    font = _font(size)
    # Shrink the text until the plate fits the picture's width with a margin.
    while size > MIN_TEXT_PX:
        left, top, right, bottom = font.getbbox(text)
        if right - left + size * 2 <= width * 0.92:
            break
        size -= 1
        font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    pad = max(4, size // 2)
    plate_w, plate_h = right - left + pad * 2, bottom - top + pad * 2
    margin = max(4, size // 2)
    x = (
        margin
        if position in (LabelPosition.BOTTOM_LEFT, LabelPosition.TOP_LEFT)
        else (width - plate_w - margin)
    )
    y = (
        margin
        if position in (LabelPosition.TOP_LEFT, LabelPosition.TOP_RIGHT)
        else (height - plate_h - margin)
    )
    x, y = max(0, x), max(0, y)
    overlay = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rounded_rectangle([x, y, x + plate_w, y + plate_h], radius=max(2, pad // 2), fill=PLATE)
    draw.text((x + pad - left, y + pad - top), text, font=font, fill=TEXT)
    out = io.BytesIO()
    result = Image.alpha_composite(picture, overlay)
    if fmt == "JPEG":
        result.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "WEBP":
        result.save(out, "WEBP", quality=90)
    else:
        result.save(out, "PNG", optimize=True)
    return out.getvalue()
