"""The watermarked preview the brand sees until the model approves a proof: smaller than the
picture and crossed with "PROOF · NOT APPROVED", so it is no use as the image itself."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

PREVIEW_SIDE = 720
MARK = "PROOF · NOT APPROVED"


def watermarked(data: bytes) -> bytes:
    """A JPEG preview of `data` (a checked, re-encoded picture) with the mark tiled across."""
    with Image.open(io.BytesIO(data)) as img:
        base = img.convert("RGB")
    base.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    width, height = base.size
    size = max(14, min(width, height) // 12)
    font = ImageFont.load_default(size=size)
    layer = Image.new("RGBA", (width * 2, height * 2), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    step_y = size * 3
    step_x = int(draw.textlength(MARK + "   ", font=font)) or size * 10
    for row, y in enumerate(range(0, height * 2, step_y)):
        offset = (row % 2) * step_x // 2
        for x in range(-offset, width * 2, step_x):
            draw.text((x, y), MARK, font=font, fill=(255, 255, 255, 150))
            draw.text((x + 2, y + 2), MARK, font=font, fill=(0, 0, 0, 90))
    rotated = layer.rotate(30, resample=Image.Resampling.BICUBIC)
    left, top = (rotated.width - width) // 2, (rotated.height - height) // 2
    marked = base.convert("RGBA")
    marked.alpha_composite(rotated.crop((left, top, left + width, top + height)))
    out = io.BytesIO()
    marked.convert("RGB").save(out, "JPEG", quality=70)
    return out.getvalue()
