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
# Zero-width characters come along when numbers are copied out of chat apps.
SEPARATORS = " \t-.\u00b7\u2010\u2011\u2012\u2013\u2014\u2212\u30fb\u200b\u200c\u200d\u2060\ufeff"
_SEPARATOR_CLASS = "[" + re.escape(SEPARATORS) + "]"
_SEPARATOR_RUN = re.compile(_SEPARATOR_CLASS + "+")
_TOKEN = re.compile(r"[A-Z0-9]+")
# A carrier's Latin code typed straight onto its number ("EMS1153…", "UPS1Z…"): the code is a
# word of its own (the context reads it as the carrier's name), never part of the number.
# Only codes no waybill format starts with (unlike SF, JT, YT, JD…).
_GLUED_CODE = re.compile(r"(?:EMS|ZTO|STO|YTO|UPS|USPS|DHL|FEDEX|YUNDA)(?=[0-9])")
_GLUED_MIN_REST = 8
# URLs and e-mail addresses carry item and order ids; they are never waybills.
# A link may also be pasted without its scheme: "item.jd.com/100028204032.html".
_URL = re.compile(
    r"(?:HTTPS?://|WWW\.)[^\s\u3000-\u303f\uff01-\uff5e，。！？、】）》」]*"
    r"|(?<![A-Z0-9.-])(?:[A-Z0-9-]+\.)+(?:COM|CN|NET|ORG|CC|IO|HK|TOP|XYZ|ME)"
    r"/[^\s\u3000-\u303f\uff01-\uff5e，。！？、】）》」]*"
    r"|[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}"
)
# Longest gap between two groups of one number: "SF28 2211" or "7713 - 0965".
MAX_GAP = 3
# One line break, maybe with spaces around it; a blank line always separates.
_LINE_BREAK = re.compile(r"[ \t\r]*\n[ \t\r]*")
MAX_LINE_BREAK_GAP = 5
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
    """All [A-Z0-9]+ runs in the folded text, a carrier code typed onto a number split off."""
    tokens = []
    for match in _TOKEN.finditer(folded):
        glued = _GLUED_CODE.match(match.group(0))
        if glued is None or len(match.group(0)) - glued.end() < _GLUED_MIN_REST:
            tokens.append(Token(match.group(0), match.start(), match.end()))
            continue
        cut = match.start() + glued.end()
        tokens.append(Token(glued.group(0), match.start(), cut))
        tokens.append(Token(folded[cut : match.end()], cut, match.end()))
    return tokens


def joinable(folded: str, left: Token, right: Token) -> bool:
    """True when a short run of separators, or one line break, lies between two tokens.

    A number wrapped onto the next line ("SF138562\n8716739") stays one run; whether the run
    is cut at the line break is decided by ``segment`` (lines usually hold different things).
    """
    gap = folded[left.end : right.start]
    if 0 < len(gap) <= MAX_GAP and _SEPARATOR_RUN.fullmatch(gap) is not None:
        return True
    return len(gap) <= MAX_LINE_BREAK_GAP and _LINE_BREAK.fullmatch(gap) is not None


def runs(folded: str, tokens: list[Token]) -> list[list[Token]]:
    """Group tokens into runs that could together spell one number."""
    grouped: list[list[Token]] = []
    for token in tokens:
        if grouped and joinable(folded, grouped[-1][-1], token):
            grouped[-1].append(token)
        else:
            grouped.append([token])
    return grouped
