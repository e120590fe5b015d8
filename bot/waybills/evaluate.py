"""Score a waybill detector against a labelled JSON-lines corpus.

Used by the corpus test and by ``bench/detection.py`` (which also scores a naive baseline), so
both report the same numbers. A corpus line is ``{"text", "expected": [{"number", "carrier",
["ambiguous"]}]}``; a detector maps text to ``[(number, [carrier candidates, best first])]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.waybills.extract import find_waybills

Detector = Callable[[str], list[tuple[str, list[str]]]]


def engine(text: str) -> list[tuple[str, list[str]]]:
    """The bot's detector in the evaluation shape."""
    return [(w.number, [c.carrier for c in w.candidates]) for w in find_waybills(text)]


@dataclass
class Score:
    """Number-level precision/recall and carrier accuracy, with the errors listed."""

    true_positives: int = 0
    false_positives: list[tuple[str, str]] = field(default_factory=list)
    misses: list[tuple[str, str]] = field(default_factory=list)
    carrier_right: int = 0
    carrier_total: int = 0
    carrier_errors: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of reported numbers that were expected."""
        found = self.true_positives + len(self.false_positives)
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        """Share of expected numbers that were reported."""
        expected = self.true_positives + len(self.misses)
        return self.true_positives / expected if expected else 1.0

    @property
    def carrier_accuracy(self) -> float:
        """Top-1 carrier right (unambiguous) or among candidates (ambiguous), over found ones."""
        return self.carrier_right / self.carrier_total if self.carrier_total else 1.0


def load(path: str | Path) -> list[dict]:
    """The corpus lines as dicts."""
    with Path(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(lines: list[dict], detector: Detector = engine) -> Score:
    """Score ``detector`` on labelled lines."""
    score = Score()
    for line in lines:
        found = dict(detector(line["text"]))
        expected = {e["number"]: e for e in line["expected"]}
        for number in found:
            if number in expected:
                score.true_positives += 1
            else:
                score.false_positives.append((number, line["text"]))
        for number, item in expected.items():
            if number not in found:
                score.misses.append((number, line["text"]))
            else:
                _score_carrier(score, item, found[number])
    return score


def _score_carrier(score: Score, item: dict, candidates: list[str]) -> None:
    score.carrier_total += 1
    top = candidates[0] if candidates else None
    right = item["carrier"] in candidates if item.get("ambiguous") else top == item["carrier"]
    if right:
        score.carrier_right += 1
    else:
        score.carrier_errors.append((item["number"], item["carrier"], top))
