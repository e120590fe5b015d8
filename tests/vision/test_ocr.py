"""OCR on screenshots and photos, with the models shipped in the rapidocr wheel.

OCR takes a second or two per image, so this file holds few cases; the engine is built once
per process and shared (`bot.vision.ocr.engine`). Recall over many layouts is measured by
bench/vision.py, not here.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.vision import ocr as text_reader
from bot.vision import ocr_available, scan_image
from tests.vision import images
from tests.vision.make_fixtures import FIXTURES

FIXTURE_DIR = Path(__file__).parents[1] / "data" / "images"


@pytest.fixture(scope="module")
def engine():
    """The OCR engine, built with every download path of rapidocr made to fail."""
    from rapidocr.utils import download_file

    def refuse(*_args, **_kwargs):
        raise AssertionError("rapidocr tried to download at run time")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(download_file.DownloadFile, "run", refuse)
        text_reader._engine = None
        built = text_reader.engine()
    return built


def test_the_ocr_extra_is_installed_for_tests_and_ci():
    assert ocr_available()


def test_the_models_ship_inside_the_wheel(engine):
    # Built above with downloads refused and the network guard on: nothing was fetched.
    assert text_reader.engine() is engine


@pytest.mark.parametrize(("name", "number", "source"), FIXTURES, ids=[f[0] for f in FIXTURES])
def test_committed_fixtures(engine, name, number, source):
    found = scan_image((FIXTURE_DIR / name).read_bytes()).found
    expected = [(number, source)] if number else []
    assert [(f.waybill.number, f.source) for f in found] == expected


def test_a_label_whose_barcode_is_torn_off_is_read_from_its_printed_number(engine):
    rng = random.Random(8)
    page = images.label("SF1403528671045", rng)
    page.paste(255, (0, 130, 800, 325))  # the barcode, gone
    photo = images.photograph(page, rng, 1.5, 9.0, 0.5, 0.03)
    found = scan_image(images.encode(photo)).found
    assert [(f.waybill.number, f.source) for f in found] == [("SF1403528671045", "ocr")]


def test_ocr_can_be_switched_off(engine):
    data = (FIXTURE_DIR / "sms.png").read_bytes()
    assert scan_image(data, ocr=False).found == ()
