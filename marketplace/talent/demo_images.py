"""Generated preview pictures for demo data and tests: a stylised figure on a studio
backdrop. No photo of a real person is shipped."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter


def studio_portrait(seed: int, size: tuple[int, int] = (800, 1000), fmt: str = "JPEG") -> bytes:
    rng = random.Random(seed)
    w, h = size
    top = tuple(rng.randint(150, 240) for _ in range(3))
    bottom = tuple(max(0, c - rng.randint(60, 120)) for c in top)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / h
        draw.line(
            [(0, y), (w, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    skin = rng.choice(
        [
            (241, 194, 167),
            (224, 172, 138),
            (198, 134, 103),
            (141, 85, 56),
            (92, 58, 40),
            (255, 219, 190),
        ]
    )
    hair = rng.choice([(20, 16, 14), (90, 56, 30), (196, 160, 96), (150, 40, 20), (230, 225, 210)])
    outfit = tuple(rng.randint(20, 230) for _ in range(3))
    cx = w // 2 + rng.randint(-w // 12, w // 12)
    head_r = w // 9
    head_y = int(h * 0.28)
    # Shadow on the backdrop, then hair, neck, head, body.
    shadow = Image.new("L", size, 0)
    ImageDraw.Draw(shadow).ellipse(
        [cx - w // 3, int(h * 0.88), cx + w // 3, int(h * 0.98)], fill=90
    )
    img.paste((0, 0, 0), mask=shadow.filter(ImageFilter.GaussianBlur(25)))
    draw.ellipse(
        [
            cx - head_r * 1.25,
            head_y - head_r * 1.3,
            cx + head_r * 1.25,
            head_y + head_r * (1.9 if rng.random() < 0.5 else 1.1),
        ],
        fill=hair,
    )
    draw.rectangle(
        [cx - head_r * 0.35, head_y + head_r * 0.8, cx + head_r * 0.35, head_y + head_r * 1.6],
        fill=skin,
    )
    draw.ellipse(
        [cx - head_r, head_y - head_r * 1.15, cx + head_r, head_y + head_r * 1.15], fill=skin
    )
    shoulders = int(head_y + head_r * 1.5)
    draw.rounded_rectangle(
        [cx - w // 4, shoulders, cx + w // 4, h + 40], radius=w // 8, fill=outfit
    )
    draw.polygon(
        [(cx - head_r * 0.5, shoulders), (cx + head_r * 0.5, shoulders), (cx, shoulders + head_r)],
        fill=skin,
    )
    out = io.BytesIO()
    img.filter(ImageFilter.SMOOTH).save(out, fmt, quality=88)
    return out.getvalue()
