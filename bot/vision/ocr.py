"""Printed text (OCR) → waybills: rapidocr + onnxruntime, the optional ``[ocr]`` extra."""

from __future__ import annotations

import importlib.util

from PIL import Image

from bot.waybills import Waybill
from bot.waybills.learned import Learned


def available() -> bool:
    """True when rapidocr and onnxruntime are importable."""
    return all(importlib.util.find_spec(name) for name in ("rapidocr", "onnxruntime"))


def read_waybills(image: Image.Image, learned: Learned | None = None) -> list[Waybill]:
    """Waybills in the text of ``image`` (not yet implemented: none)."""
    if not available():
        raise RuntimeError("OCR needs the optional extra: pip install 'kuaidi-bot[ocr]'")
    return []
