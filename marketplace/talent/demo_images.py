"""Generated preview pictures for demo data and tests: a stylised figure on a studio
backdrop. No photo of a real person is shipped.

`seed` is the person (skin, hair); `look` is the shoot (backdrop, outfit, pose), so a twin's
pictures show one person in several looks. `hair` names the twin's hair colour."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter

HAIR_COLOURS = {
    "black": (20, 16, 14),
    "brown": (90, 56, 30),
    "blonde": (196, 160, 96),
    "red": (150, 40, 20),
    "grey": (185, 182, 176),
}
SKIN_TONES = [
    (241, 194, 167),
    (224, 172, 138),
    (198, 134, 103),
    (141, 85, 56),
    (92, 58, 40),
    (255, 219, 190),
]


def studio_portrait(
    seed: int,
    size: tuple[int, int] = (800, 1000),
    fmt: str = "JPEG",
    *,
    look: int = 0,
    hair: str | None = None,
) -> bytes:
    person = random.Random(seed)
    skin = person.choice(SKIN_TONES)
    hair_colour = HAIR_COLOURS.get(hair or "") or person.choice(list(HAIR_COLOURS.values()))
    long_hair = person.random() < 0.5
    rng = random.Random(f"{seed}:{look}")  # the shoot: backdrop, outfit, where she stands
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
            cx - head_r * 1.4,
            head_y - head_r * 1.45,
            cx + head_r * 1.4,
            head_y + head_r * (1.9 if long_hair else 1.1),
        ],
        fill=hair_colour,
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
