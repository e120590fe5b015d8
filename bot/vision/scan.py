"""`scan_image`: bytes of a photo or screenshot → the waybills in it, barcodes first, then text.

Order matters for cost and trust: a barcode is exact and costs tens of milliseconds, OCR
guesses characters and costs a second or more, so OCR runs only when no barcode yielded a
waybill (and only where the optional ``[ocr]`` extra is installed).
"""

from __future__ import annotations

import time

from bot.vision import barcodes
from bot.vision import ocr as text_reader
from bot.vision.load import load_image
from bot.vision.types import FoundInImage, ImageScan, Limits
from bot.waybills.learned import Learned


def ocr_available() -> bool:
    """True when the optional OCR extra (rapidocr + onnxruntime) is installed."""
    return text_reader.available()


def scan_image(
    data: bytes,
    *,
    learned: Learned | None = None,
    ocr: bool | None = None,
    limits: Limits | None = None,
) -> ImageScan:
    """The waybills in the image ``data``: from its barcodes, else from its printed text.

    ``ocr``: None reads text when the OCR extra is installed, False never, True always (an
    error when it is missing). Finding nothing is an empty ``found``, not an error; input
    that is not a readable image raises `ImageRejected` (see its ``reason``).
    """
    started = time.perf_counter()
    image = load_image(data, limits or Limits())
    found = [FoundInImage(w, "barcode") for w in barcodes.read_waybills(image, learned)]
    use_ocr = ocr_available() if ocr is None else ocr
    if not found and use_ocr:
        found = [FoundInImage(w, "ocr") for w in text_reader.read_waybills(image, learned)]
    return ImageScan(tuple(found), round((time.perf_counter() - started) * 1000, 1))
