"""Printed text (OCR) → waybills: rapidocr + onnxruntime, the optional ``[ocr]`` extra.

rapidocr 3.10 ships its PP-OCRv6 detection and recognition models (and the v2 angle
classifier, unused: screenshots are upright and labels are turned less than 90°) inside the
wheel; the models are named by path so that rapidocr's download code is never reached. One
engine is shared by all threads (onnxruntime sessions are thread-safe) and runs on one
thread per call, so `VisionPool`'s size is the number of cores OCR may take.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from bot.vision.layout import TextBox, lines
from bot.waybills import Waybill, canonical, find_waybills
from bot.waybills.learned import Learned

MODELS = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}
#: Shortest side OCR works at, and the detector's minimum (its limit_side_len), so it resizes
#: nothing again. The detector's cost grows with the pixels: at 640 a screenshot takes about
#: 0.8 of the time at rapidocr's default 736 and 0.6 of it at 900 (bench/vision.py), and its
#: text stays about 25 px high, which reads as well.
OCR_SHORT_SIDE = 640
#: Recognised text below this confidence is noise (rapidocr's own default).
MIN_SCORE = 0.5

#: A date (20YY-MM-DD) glued to the digits after it: a time whose space OCR dropped.
_GLUED_TIME = re.compile(r"(20\d\d([-/.])(?:0?[1-9]|1[0-2])\2(?:0[1-9]|[12]\d|3[01]))(?=\d)")

_engine = None
_engine_lock = threading.Lock()


def available() -> bool:
    """True when rapidocr and onnxruntime are importable."""
    return all(importlib.util.find_spec(name) for name in ("rapidocr", "onnxruntime"))


def engine():
    """The shared rapidocr engine, built on first use from the models in its wheel."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _build()
        return _engine


def _build():
    if not available():
        raise RuntimeError("OCR needs the optional extra: pip install 'kuaidi-bot[ocr]'")
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    params: dict = {f"{task}.model_path": str(models / name) for task, name in MODELS.items()}
    missing = [name for name in MODELS.values() if not (models / name).is_file()]
    if missing:
        raise RuntimeError(f"rapidocr's wheel lacks its models {missing}: reinstall [ocr]")
    params.update(
        {
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Det.limit_side_len": OCR_SHORT_SIDE,
            "Global.text_score": MIN_SCORE,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )
    return rapidocr.RapidOCR(params=params)


def read_lines(image: Image.Image) -> list[str]:
    """The text of a greyscale ``image`` as rows (see `bot.vision.layout`)."""
    scale = min(1.0, OCR_SHORT_SIDE / min(image.size))
    if scale < 1.0:
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    result = engine()(np.asarray(image))
    if result.boxes is None or result.txts is None:
        return []
    boxes = [
        TextBox(text, tuple((float(x) / scale, float(y) / scale) for x, y in corners))
        for corners, text, score in zip(result.boxes, result.txts, result.scores, strict=True)
        if score >= MIN_SCORE and text.strip()
    ]
    return lines(boxes)


def read_waybills(image: Image.Image, learned: Learned | None = None) -> list[Waybill]:
    """Waybills in the printed text of ``image``, in reading order."""
    return waybills_in_lines(read_lines(image), learned)


def waybills_in_lines(rows: list[str], learned: Learned | None = None) -> list[Waybill]:
    """Detection over a picture's rows, two at a time (each row with the one above it).

    A screenshot holds a whole page of unrelated text: read as one message, a 快递 in its
    title would be intent for every number on it (an SMS sender's 1065… number, an order
    id). Read in pairs of rows, a number gets the context a person sees next to it: its own
    row and the label above it (运单号 on one row, the number on the next).
    """
    rows = [_unglue(row) for row in rows if row.strip()]
    found: dict[str, Waybill] = {}
    above = ""
    for row in rows:
        window = f"{above}\n{row}" if above else row
        for waybill in find_waybills(window, alone=len(rows) == 1, learned=learned):
            # A number of the row above was judged with that row's own context already; the
            # words below it are not its context. One broken across both rows is kept.
            if waybill.number not in canonical(above):
                found.setdefault(waybill.number, waybill)
        above = row
    return list(found.values())


def _unglue(row: str) -> str:
    """Undo the OCR habit of dropping the space between a date and a time
    ("2026-11-2709:05", or worse "2026-11-27090"), which would make them one long number."""
    return _GLUED_TIME.sub(r"\1 | ", row)  # not a separator: the date ends a run
