"""The generated test images draw real glyphs: the committed subset font covers their text."""

from __future__ import annotations

from PIL import Image, ImageDraw

from tests.vision import images


def drawn(ch: str) -> bytes:
    canvas = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(canvas).text((2, 2), ch, font=images.font(30), fill=255)
    return canvas.tobytes()


def test_every_character_drawn_has_a_glyph_in_the_subset_font():
    missing = drawn("\U0010fffd")  # a code point no font has: its .notdef glyph
    assert drawn("运") != missing
    assert [ch for ch in images.all_text() if ch.strip() and drawn(ch) == missing] == []
