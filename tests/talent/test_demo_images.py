"""Demo pictures: a twin's pictures show one person, with the twin's hair colour."""

from __future__ import annotations

import io

from PIL import Image

from marketplace.talent.demo_images import HAIR_COLOURS, SKIN_TONES, studio_portrait


def rgb_pixels(img: Image.Image) -> list[tuple[int, int, int]]:
    """An RGB picture's pixels, row by row (from its raw bytes: `getdata` is deprecated)."""
    raw = img.tobytes()
    return [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]


def share_near(picture: bytes, colour: tuple[int, int, int], tolerance: int = 14) -> float:
    """The share of the picture's pixels within `tolerance` of `colour` on every channel."""
    img = Image.open(io.BytesIO(picture)).convert("RGB").resize((160, 200))
    pixels = rgb_pixels(img)
    near = sum(all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True)) for p in pixels)
    return near / len(pixels)


def skin_of(picture: bytes) -> set[tuple[int, int, int]]:
    return {tone for tone in SKIN_TONES if share_near(picture, tone, tolerance=6) > 0.02}


def test_two_looks_of_one_twin_show_the_same_person_with_her_hair():
    first = studio_portrait(7, (400, 500), look=0, hair="red")
    second = studio_portrait(7, (400, 500), look=1, hair="red")

    assert first != second  # two different shoots
    assert skin_of(first) == skin_of(second) != set()
    assert share_near(first, HAIR_COLOURS["red"]) > 0.01
    assert share_near(second, HAIR_COLOURS["red"]) > 0.01


def pixels(picture: bytes) -> list[tuple[int, int, int]]:
    return rgb_pixels(Image.open(io.BytesIO(picture)).convert("RGB"))


def test_the_hair_colour_follows_the_twin():
    # given one person drawn with each hair colour: only the hair differs between them
    drawn = {
        name: pixels(studio_portrait(3, (400, 500), "PNG", hair=name)) for name in HAIR_COLOURS
    }

    for name, other in [("red", "black"), ("blonde", "grey"), ("brown", "blonde")]:
        # the pixels that differ are the hair, in the colour asked for
        hair = [
            (a, b)
            for a, b in zip(drawn[name], drawn[other], strict=True)
            if max(abs(x - y) for x, y in zip(a, b, strict=True)) > 40
        ]
        assert len(hair) > 0.01 * len(drawn[name])
        mostly = sum(
            max(abs(x - y) for x, y in zip(a, HAIR_COLOURS[name], strict=True)) <= 14
            for a, _ in hair
        )
        assert mostly > 0.75 * len(hair), name  # the rest: its smoothed edge


def test_different_seeds_are_different_people():
    people = {frozenset(skin_of(studio_portrait(seed, (400, 500)))) for seed in range(12)}

    assert len(people) > 2
