"""`kuaidi-bot scan IMAGE...`: one JSON line per image, for trying photos without a platform.

``{"file", "found": [{"number", "carrier", "candidates", "source"}], "ms"}`` per image read,
``{"file", "error": reason}`` per file refused (`ImageRejected` reasons, or ``not_found`` /
``unreadable`` for a path that cannot be opened). A bad file never stops the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.vision.scan import scan_image
from bot.vision.types import ImageRejected, ImageScan, Limits
from bot.waybills.learned import Learned


def scan_result(
    path: str, limits: Limits, learned: Learned | None = None, ocr: bool | None = None
) -> dict:
    """The JSON object for one file."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)  # a huge file is never read whole
    except FileNotFoundError:
        return {"file": path, "error": "not_found"}
    except OSError:
        return {"file": path, "error": "unreadable"}
    try:
        scan = scan_image(data, learned=learned, ocr=ocr, limits=limits)
    except ImageRejected as rejected:
        return {"file": path, "error": rejected.reason}
    return {"file": path, "found": found_json(scan), "ms": scan.ms}


def found_json(scan: ImageScan) -> list[dict]:
    """``found`` as JSON-ready objects (the same fields as `kuaidi-bot detect`, plus source)."""
    return [
        {
            "number": item.waybill.number,
            "carrier": item.waybill.carrier,
            "candidates": [
                {"carrier": c.carrier, "confidence": c.confidence}
                for c in item.waybill.candidates
            ],
            "source": item.source,
        }
        for item in scan.found
    ]


def scan_files(
    paths: Iterable[str],
    outfile: TextIO,
    limits: Limits | None = None,
    learned: Learned | None = None,
    ocr: bool | None = None,
) -> int:
    """Write one line per path, in order; returns the number of lines written."""
    count = 0
    for path in paths:
        result = scan_result(path, limits or Limits(), learned, ocr)
        outfile.write(json.dumps(result, ensure_ascii=False) + "\n")
        outfile.flush()
        count += 1
    return count
