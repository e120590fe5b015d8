"""Pictures for the picture-path tests, made here: labels whose barcode zxing-cpp wrote
(tests/vision/images.py), a picture with no number, a cut-off file and a PDF."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

from tests.vision.images import encode, label

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def barcode_image(number: str, fmt: str = "JPEG") -> bytes:
    """A photo-sized flat label (800 × 1200) whose Code 128 barcode holds `number`."""
    return encode(label(number, random.Random(number)), fmt)


def blank_image() -> bytes:
    """A small picture with shapes and no number on it."""
    image = Image.new("RGB", (320, 240), (200, 220, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 40, 260, 200), fill=(250, 200, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def corrupt_image() -> bytes:
    """A label photo cut off after its first kilobyte (an interrupted upload)."""
    return barcode_image("YT1234567890123", "PNG")[:1024]
