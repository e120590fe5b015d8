"""The 4-digit phone tail a user gives for SF-style queries ("尾号1234", "SF… 1234", "1234")."""

from __future__ import annotations

import re

from bot.waybills.extract import candidate_spans
from bot.waybills.normalise import SEPARATORS, fold, mask_urls, tokenise

# "尾号1234", "手机后四位：1234", "后4位是 1234", "tail 1234", "last 4 digits: 1234".
_LABELLED = re.compile(
    r"(?:尾号|后四位|后4位|末四位|末4位|\bTAIL\b|\bLAST\s*(?:4|FOUR)(?:\s*DIGITS)?\b)"
    r"\s*(?:是|为|[:：=])?\s*(?<![0-9])([0-9]{4})(?![0-9])"
)
_ONLY_FOUR = re.compile(r"\s*([0-9]{4})\s*")
# Between a waybill and its tail: spaces, separators or light punctuation.
_TAIL_GAP = re.compile(r"[\s,，;；/" + re.escape(SEPARATORS) + r"]{1,3}")


def find_phone_tail(text: str) -> str | None:
    """The 4-digit phone tail in a message, or None. Never part of a longer number."""
    folded = mask_urls(fold(text))
    for match in _LABELLED.finditer(folded):
        if not _touches_digits(folded, match.start(1), match.end(1)):
            return match.group(1)
    only = _ONLY_FOUR.fullmatch(folded)
    if only:
        return only.group(1)
    return _after_waybill(folded)


def _touches_digits(folded: str, start: int, end: int) -> bool:
    """True when the 4 digits continue a longer number through separators ("1234 5678")."""
    after = folded[end : end + 2].lstrip(SEPARATORS)
    before = folded[max(0, start - 2) : start].rstrip(SEPARATORS)
    return (after[:1].isdigit() and folded[end : end + 1] in SEPARATORS + "0123456789") or (
        before[-1:].isdigit() and folded[start - 1 : start] in SEPARATORS + "0123456789"
    )


def _after_waybill(folded: str) -> str | None:
    """Four digits standing right after a recognised waybill: "SF1524097970481 1234"."""
    tokens = tokenise(folded)
    spans = [s for s in candidate_spans(folded, tokens) if s.matches]
    for span in spans:
        index = next((i for i, t in enumerate(tokens) if t.start >= span.end), None)
        if index is None:
            continue
        token = tokens[index]
        if not (token.text.isdigit() and len(token.text) == 4):
            continue
        if not _TAIL_GAP.fullmatch(folded, span.end, token.start):
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        continues = (
            following is not None
            and following.text[:1].isdigit()
            and _TAIL_GAP.fullmatch(folded, token.end, following.start)
        )
        if not continues:
            return token.text
    return None
