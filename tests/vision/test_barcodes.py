"""Waybills read from barcodes on labels photographed badly, made here with zxing-cpp."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from bot.vision import scan_image
from bot.vision.barcodes import skew
from tests.vision import images


def scan_numbers(data: bytes) -> list[tuple[str, str]]:
    return [(f.waybill.number, f.source) for f in scan_image(data, ocr=False).found]


def test_a_flat_label_gives_its_number_and_carrier():
    rng = random.Random(1)
    found = scan_image(images.encode(images.label("SF1403528671045", rng)), ocr=False).found
    assert [(f.waybill.number, f.waybill.carrier, f.source) for f in found] == [
        ("SF1403528671045", "shunfeng", "barcode")
    ]


@pytest.mark.parametrize(
    ("number", "megapixels", "angle", "blur", "noise"),
    [
        ("773098765432", 1.0, 0.0, 0.0, 0.0),  # a bare JD-like 12 digits: typed, it needs a word
        ("YT7512408369251", 2.0, 28.0, 0.6, 0.05),
        ("JDVA20931748562", 3.5, -24.0, 1.0, 0.03),
        ("432109876543", 1.5, 12.0, 1.2, 0.08),
    ],
    ids=["flat", "tilted", "tilted-other-way", "blurred"],
)
def test_a_photographed_label_is_read(number, megapixels, angle, blur, noise):
    rng = random.Random(number)
    page = images.label(number, rng)
    data = images.encode(images.photograph(page, rng, megapixels, angle, blur, noise))
    assert scan_numbers(data) == [(number, "barcode")]


@pytest.mark.parametrize("fmt", ["QRCode", "DataMatrix", "PDF417", "Code39", "Code93", "ITF"])
def test_every_label_format_is_read(fmt):
    number = "7730987654321" if fmt != "ITF" else "77309876543210"  # ITF: an even count
    canvas = Image.new("L", (900, 700), 255)
    code = images.barcode(number, fmt, scale=4)
    canvas.paste(code, (60, 60))
    assert scan_numbers(images.encode(canvas, "PNG")) == [(number, "barcode")]


def test_a_qr_code_with_a_tracking_link_gives_the_number_in_it():
    canvas = Image.new("L", (600, 600), 255)
    canvas.paste(
        images.barcode("https://m.kuaidi100.com/result.jsp?nu=YT7512408369251", "QRCode", 5),
        (40, 40),
    )
    assert scan_numbers(images.encode(canvas, "PNG")) == [("YT7512408369251", "barcode")]


def test_a_product_barcode_is_not_a_waybill():
    canvas = Image.new("L", (600, 400), 255)
    canvas.paste(images.barcode("6901234567892", "EAN13", 3), (40, 40))
    assert scan_numbers(images.encode(canvas, "PNG")) == []


def test_a_picture_without_codes_gives_nothing():
    rng = random.Random(3)
    shot = images.photograph(Image.new("L", (800, 1200), 230), rng, 1.0, 10, 1.0, 0.05)
    assert scan_numbers(images.encode(shot)) == []


@pytest.mark.parametrize("angle", [-30, -12, 0, 7, 21, 30])
def test_the_tilt_of_a_label_is_estimated_within_a_few_degrees(angle):
    page = images.label("SF1403528671045", random.Random(2))
    turned = page.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    assert abs(skew(turned) + angle) < 3
