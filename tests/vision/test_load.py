"""Input that is not a readable image is refused with the right reason, never a crash."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from bot.vision import ImageRejected, Limits, scan_image
from bot.vision.load import load_image


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(width: int, height: int) -> bytes:
    """A few hundred bytes claiming width × height pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * 1000, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + (_png_chunk(b"IEND", b""))
    )


def _jpeg(size=(400, 300), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(out, "JPEG", **save)
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x" * 1000)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "not_an_image"),
        ("运单号 SF1234567890123".encode(), "not_an_image"),
        (b"", "not_an_image"),
        (_zip(), "not_an_image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not_an_image"),
        (huge_png(100_000, 100_000), "too_many_pixels"),
        (huge_png(8_000, 6_000), "too_many_pixels"),
        (_jpeg()[:400], "corrupt"),
        (_jpeg()[:2] + b"\0" * 600, "not_an_image"),
        (huge_png(300, 200)[:60], "corrupt"),
    ],
    ids=["pdf", "text", "empty", "zip", "svg", "bomb", "48mp", "truncated", "garbled", "png-cut"],
)
def test_unreadable_input_is_rejected_with_its_reason(data, reason):
    with pytest.raises(ImageRejected) as caught:
        scan_image(data, ocr=False)
    assert caught.value.reason == reason


def test_bytes_over_the_cap_are_refused_before_decoding():
    data = _jpeg()
    with pytest.raises(ImageRejected) as caught:
        scan_image(data, ocr=False, limits=Limits(max_bytes=len(data) - 1))
    assert caught.value.reason == "too_large"
    assert scan_image(data, ocr=False, limits=Limits(max_bytes=len(data))).found == ()


def test_the_pixel_cap_is_a_setting():
    data = _jpeg((400, 300))
    with pytest.raises(ImageRejected) as caught:
        load_image(data, Limits(max_pixels=400 * 300 - 1))
    assert caught.value.reason == "too_many_pixels"


def test_the_format_comes_from_the_content_not_the_name():
    # A PNG is read whatever it is called; the loader never sees a name or a content type.
    out = io.BytesIO()
    Image.new("L", (50, 40), 255).save(out, "PNG")
    assert load_image(out.getvalue(), Limits()).size == (50, 40)


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: shown turned 90° clockwise
    image = load_image(_jpeg((400, 300), exif=exif.tobytes()), Limits())
    assert image.size == (300, 400)


def test_large_photos_are_worked_on_at_a_sane_size():
    image = load_image(_jpeg((4000, 3000), quality=50), Limits(), work_side=2000)
    assert max(image.size) <= 2000 and image.mode == "L"


def test_transparent_screenshots_are_put_on_white():
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(out, "PNG")
    assert load_image(out.getvalue(), Limits()).getpixel((5, 5)) == 255


def test_a_rejection_names_a_known_reason():
    with pytest.raises(ValueError):
        ImageRejected("exploded")
