"""OCR boxes → text lines as a person reads them, so labels stay next to their numbers.

An OCR engine returns one box per run of text, in no reliable order; an order page puts
``运单号`` at the left edge and the number at the right edge of the same row, or the number on
the row below. Detection reads context from neighbouring words and across one line break, so
the boxes are put back into rows: turned upright by their median tilt (a photo is rarely
straight), grouped by vertical overlap, each row read left to right.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]
#: Share of the smaller box's height two boxes must overlap vertically to share a row.
ROW_OVERLAP = 0.5


@dataclass(frozen=True)
class TextBox:
    """One OCR result: its text and its four corners (clockwise from top-left)."""

    text: str
    corners: tuple[Point, Point, Point, Point]


@dataclass(frozen=True)
class _Placed:
    text: str
    x: float
    top: float
    bottom: float


def lines(boxes: Sequence[TextBox]) -> list[str]:
    """The boxes' texts as rows, top to bottom, each row's boxes left to right joined by
    a space."""
    if not boxes:
        return []
    angle = statistics.median(_tilt(box) for box in boxes)
    placed = sorted((_upright(box, angle) for box in boxes), key=lambda p: (p.top + p.bottom))
    rows: list[list[_Placed]] = []
    for box in placed:
        row = rows[-1] if rows else None
        if row is not None and _same_row(row, box):
            row.append(box)
        else:
            rows.append([box])
    return [" ".join(p.text for p in sorted(row, key=lambda p: p.x)) for row in rows]


def _tilt(box: TextBox) -> float:
    """The angle of the box's top edge, in radians."""
    (x0, y0), (x1, y1) = box.corners[0], box.corners[1]
    return math.atan2(y1 - y0, x1 - x0) if (x1 - x0) or (y1 - y0) else 0.0


def _upright(box: TextBox, angle: float) -> _Placed:
    """The box with its corners turned by -angle: rows become horizontal."""
    cos, sin = math.cos(-angle), math.sin(-angle)
    turned = [(x * cos - y * sin, x * sin + y * cos) for x, y in box.corners]
    ys = [y for _, y in turned]
    return _Placed(box.text, min(x for x, _ in turned), min(ys), max(ys))


def _same_row(row: list[_Placed], box: _Placed) -> bool:
    """Does ``box`` overlap the row's last box vertically by most of the smaller height?"""
    last = row[-1]
    overlap = min(last.bottom, box.bottom) - max(last.top, box.top)
    smaller = min(last.bottom - last.top, box.bottom - box.top)
    return smaller > 0 and overlap >= ROW_OVERLAP * smaller
