"""Text normalisation and tokenisation for waybill detection.

Everything downstream works on the *folded* text: NFKC (full-width digits and letters become
ASCII, the ideographic space a space) and upper case. NFKC can change the length of text, so
positions always refer to the folded text, never to the raw message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Characters that may split one number into groups ("SF28 2211 8050 521", "7321-6899-1710-77").
SEPARATORS = " \t-.\u00b7\u2010\u2011\u2012\u2013\u2212\u30fb"
_SEPARATOR_CLASS = "[" + re.escape(SEPARATORS) + "]"
_SEPARATOR_RUN = re.compile(_SEPARATOR_CLASS + "+")
_TOKEN = re.compile(r"[A-Z0-9]+")
# URLs and e-mail addresses carry item and order ids; they are never waybills.
_URL = re.compile(
    r"(?:HTTPS?://|WWW\.)[^\s\u3000-\u303f\uff01-\uff5e，。！？、】）》」]*"
    r"|[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}"
)
# Longest gap between two groups of one number: "SF28 2211" or "7713 - 0965".
MAX_GAP = 3
_URL_MASK = "\ufffc"


@dataclass(frozen=True)
class Token:
    """A run of [A-Z0-9] in the folded text."""

    text: str
    start: int
    end: int


def fold(text: str) -> str:
    """NFKC + upper case, the form all positions refer to."""
    return unicodedata.normalize("NFKC", text).upper()


def canonical(text: str) -> str:
    """Canonical waybill number: NFKC, upper case, separators and whitespace removed."""
    folded = fold(text)
    return "".join(ch for ch in folded if ch not in SEPARATORS and not ch.isspace())


def mask_urls(folded: str) -> str:
    """Replace URLs and e-mail addresses by a same-length barrier so positions still line up."""
    return _URL.sub(lambda m: _URL_MASK * len(m.group(0)), folded)


def tokenise(folded: str) -> list[Token]:
    """All [A-Z0-9]+ runs in the folded text."""
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(folded)]


def joinable(folded: str, left: Token, right: Token) -> bool:
    """True when only a short run of separators (no newline) lies between two tokens."""
    gap = folded[left.end : right.start]
    return 0 < len(gap) <= MAX_GAP and _SEPARATOR_RUN.fullmatch(gap) is not None


def runs(folded: str, tokens: list[Token]) -> list[list[Token]]:
    """Group tokens into runs that could together spell one number."""
    grouped: list[list[Token]] = []
    for token in tokens:
        if grouped and joinable(folded, grouped[-1][-1], token):
            grouped[-1].append(token)
        else:
            grouped.append([token])
    return grouped
