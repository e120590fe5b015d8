"""Intent decides, formats rank: when a number no format claims is still a waybill.

A number-like token (8-40 characters: digits, maybe with a letter prefix or suffix) is
reported when the message asks to track something (a positive word anywhere: 查/快递/到哪/
tracking/where is…, or a ``/track`` command), when it is the whole message in a private chat,
or when a waybill label stands right before it (快递单号：…). A recognised look-alike (phone,
ID or bank card, date, amount, code, IMEI, labelled order number) needs that label; a negative
word right before it (订单号, 验证码, 取件码…) keeps it out. Such numbers are reported with the
carriers their (weak) formats suggest, or none: the upstream identifies the carrier. Numbers
counting up (1234567890…) are examples, never reported this way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.waybills import context, lookalikes, rules

if TYPE_CHECKING:
    from bot.waybills.extract import Candidate, Span
    from bot.waybills.learned import Learned

# Letters only as a prefix or suffix, or one short letter group inside (1LS7…, 1Z…).
_NUMBER_LIKE = re.compile(r"[A-Z]{0,6}\d[0-9]*(?:[A-Z]{1,5}\d+)?[A-Z]{0,3}")
_MIN_DIGITS = 6
#: Digit-only numbers shorter than this (QQ numbers, invoice numbers, local phone numbers) need
#: a word next to them, not just a bare message or a request somewhere in it.
BARE_DIGITS_MIN = 10
_WHOLE = re.compile(r"[^\w]*")
# A lone token no format knows: a 2-4 letter prefix, 8-15 digits, maybe a 2-letter suffix
# (single letters and longer runs are what other carriers' formats use, checked). Digits
# alone fit too many things (order, invoice and account numbers) without a word beside them.
_ALONE_SHAPE = re.compile(r"[A-Z]{2,4}\d{8,15}[A-Z]{0,2}")
#: Catch-all formats (any 12 digits) are no evidence for a lone token.
ALONE_MIN_PRIOR = 0.2
#: Look-alikes no label turns into a waybill: a mobile number that fits no carrier's format is
#: a phone typed into the wrong field; a distinctive format whose check failed is a typo.
UNLABELLABLE = frozenset({"mobile", "invalid_check"})
#: Confidence of a carrier the user named next to a number no format decides.
NAMED = 0.6


def number_like(number: str) -> bool:
    """8-40 characters shaped like a waybill (not a word, a hash or a mixed-up code)."""
    return (
        8 <= len(number) <= 40
        and _NUMBER_LIKE.fullmatch(number) is not None
        and sum(ch.isdigit() for ch in number) >= _MIN_DIGITS
    )


def is_whole(folded: str, start: int, end: int) -> bool:
    """True when nothing but spaces and punctuation surrounds folded[start:end]."""
    return bool(_WHOLE.fullmatch(folded, 0, start) and _WHOLE.fullmatch(folded, end))


def reports(span: Span, local: context.Local, message_intent: bool, solo: bool) -> bool:
    """Should a span the formats did not report be reported on intent?"""
    if not number_like(span.number) or lookalikes.is_placeholder(span.number):
        return False
    if local.label and (span.lookalike is None or span.lookalike[0] not in UNLABELLABLE):
        return True  # 快递单号：… wins over look-alikes
    if local.negative or local.negative_after or (span.lookalike and span.lookalike[1] >= 1.0):
        return False
    short = span.number.isdigit() and len(span.number) < BARE_DIGITS_MIN
    if span.lookalike or short:
        return local.positive  # an order-like or short number needs a word right before it
    if message_intent or local.positive:
        return True
    return solo and _plausible_alone(span)


def _plausible_alone(span: Span) -> bool:
    """A bare message with no other word: a digit-only number must fit some format (a check
    digit or a carrier's prefix and length); others need letters only around the digits."""
    matches = span.matches or rules.match(span.number)
    if any(prior >= ALONE_MIN_PRIOR for _, prior in matches):
        return True
    return _ALONE_SHAPE.fullmatch(span.number) is not None


def rank(span: Span, local: context.Local, learned: Learned | None) -> tuple[Candidate, ...]:
    """Candidates for a number reported on intent: weak formats, a named carrier, learned."""
    from bot.waybills.extract import Candidate

    scores = {c: p for c, p in (span.matches or rules.match(span.number)) if c is not None}
    if learned is not None:
        learned.apply(span.number, scores)
    if local.carrier is not None:
        top = max(scores.values(), default=0.0)
        scores[local.carrier] = max(NAMED, top + 0.1)
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    return tuple(Candidate(c, round(min(0.99, max(0.01, s)), 2)) for c, s in ranked)
