"""What the upstream taught us: per number pattern, which carriers its answers named.

A pattern is (prefix, length): the leading letters of the number (``TBA``, ``JP``) or, for a
digit-only number, its first three digits. Counts come from the database (``bot.storage.
patterns``); this module only ranks with them, so detection stays pure and offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Answers needed before a pattern changes the ranking.
MIN_ANSWERS = 3
#: Share of a pattern's answers a carrier needs to lead it.
LEAD_SHARE = 0.6
#: How far a learned leader is put ahead of the formats' best other guess.
LEAD_MARGIN = 0.1
_MAX_LETTERS = 4
_DIGIT_PREFIX = 3


def pattern_key(number: str) -> tuple[str, int]:
    """(prefix, length) of a canonical number."""
    letters = len(number) - len(number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    prefix = number[: min(letters, _MAX_LETTERS)] if letters else number[:_DIGIT_PREFIX]
    return prefix, len(number)


@dataclass(frozen=True)
class Learned:
    """A snapshot of the learned counts: ``{(prefix, length): {carrier: answers}}``."""

    counts: Mapping[tuple[str, int], Mapping[str, int]] = field(default_factory=dict)

    def leader(self, number: str) -> tuple[str, float] | None:
        """The carrier most answers named for this pattern, with its share, if it leads."""
        found = self.counts.get(pattern_key(number))
        if not found:
            return None
        total = sum(found.values())
        carrier, count = max(found.items(), key=lambda item: (item[1], item[0]))
        if total < MIN_ANSWERS or count / total < LEAD_SHARE:
            return None
        return carrier, count / total

    def apply(self, number: str, scores: dict[str | None, float]) -> None:
        """Put the pattern's learned leader ahead of the other candidates (in place)."""
        lead = self.leader(number)
        if lead is None:
            return
        carrier, share = lead
        others = [s for c, s in scores.items() if c not in (carrier, None)]
        best_other = max(others, default=0.0)
        scores[carrier] = min(
            0.97, max(scores.get(carrier, 0.0), 0.5 + share * 0.3, best_other + LEAD_MARGIN)
        )
