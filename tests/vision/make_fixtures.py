"""Makes the committed fixture images of tests/data/images/ (see its README.md).

Run ``python -m tests.vision.make_fixtures`` from the repository root; the seeds are fixed,
so the same Pillow and zxing-cpp versions make the same files.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

from tests.vision import images

FOLDER = Path(__file__).parents[1] / "data" / "images"
#: What each fixture shows: (file, number it holds or None, how it is read).
FIXTURES = (
    ("label-photo.jpg", "YT7512408369251", "barcode"),
    ("order-page.png", "432109876543", "ocr"),
    ("sms.png", "JT5083172916423", "ocr"),
    ("no-number.jpg", None, None),
)


def label_photo() -> bytes:
    rng = random.Random(151)
    page = images.label("YT7512408369251", rng)
    return images.encode(images.photograph(page, rng, 1.2, 17.0, 0.7, 0.04), quality=70)


def order_page() -> bytes:
    rng = random.Random(152)
    shot = images.screenshot("432109876543", rng, "shop").convert("L").quantize(16)
    return images.encode(shot, "PNG")


def sms() -> bytes:
    rng = random.Random(153)
    return images.encode(images.screenshot("JT5083172916423", rng, "sms").quantize(16), "PNG")


def no_number() -> bytes:
    """A parcel-like photo with a carrier's name and an address, but no number anywhere."""
    rng = random.Random(154)
    page = Image.new("L", (800, 600), 235)
    draw = ImageDraw.Draw(page)
    draw.text((60, 80), images.FRAGILE, font=images.font(64), fill=20)
    draw.text((60, 220), images.ADDRESSES[0], font=images.font(36), fill=40)
    return images.encode(images.photograph(page, rng, 1.0, -8.0, 0.8, 0.05), quality=70)


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    makers = {
        "label-photo.jpg": label_photo,
        "order-page.png": order_page,
        "sms.png": sms,
        "no-number.jpg": no_number,
    }
    for name, make in makers.items():
        (FOLDER / name).write_bytes(make())
        print(name, (FOLDER / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
