"""Find waybill numbers in a chat message and rank their carriers.

Pipeline: fold (NFKC + upper) → mask URLs → tokens → runs of tokens joined by separators (or
one line break) → cut each run into numbers, look-alikes (consumed, never searched inside),
phone tails and leftovers (``segment``) → score each candidate with the words around it.

Intent decides, formats rank: a number-like leftover no format knows is still a waybill when
the message asks to track something (``context``: 查/快递/到哪/tracking…), when a waybill
label stands right before it, or when it is the whole message in a private chat; it is then
reported with no carrier (the upstream names it). Look-alikes stay out unless labelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.carriers import Registry, default_registry
from bot.waybills import context, intent, lookalikes, rules, segment
from bot.waybills.learned import Learned
from bot.waybills.normalise import Token, fold, mask_urls, runs, tokenise

REPORT_THRESHOLD = 0.5
# A number the user labels with a carrier name but no rule knows ("安能 单号 30…").
FALLBACK_MIN_LENGTH = 8
FALLBACK_MAX_LENGTH = 40
FALLBACK_PRIOR = 0.45
# Unknown numbers a carrier's name next to them reports, without other intent.
FALLBACK_NAMED_MIN = 10
FALLBACK_NAMED_MAX = 24
#: A named carrier's score on a digit-only number that only weak formats of others match
#: (prior below WEAK_FORMAT; a distinctive one like ZTO's 73… + 12 digits stays ahead).
NAMED_OVER_DIGITS = 0.6
WEAK_FORMAT = 0.5
_MIN_DIGITS = 8
#: How far the top candidate must lead to be sent as the carrier code.
DECIDE_MARGIN = 0.1
#: A weak format lifted by a context word (0.3 + 0.2) is a guess, not worth a wrong `code`.
DECIDE_MIN = 0.6
# Two digits somewhere: "1Z" + letters + a check digit is the sparsest format.
_TWO_DIGITS = re.compile(r"[0-9][^0-9]*[0-9]")


@dataclass(frozen=True)
class Candidate:
    """One possible carrier of a waybill, as a kuaidi100 code with a confidence in [0, 1]."""

    carrier: str
    confidence: float


@dataclass(frozen=True)
class Waybill:
    """A waybill number found in a message with its ranked carrier candidates."""

    number: str
    candidates: tuple[Candidate, ...]

    @property
    def carrier(self) -> str | None:
        """The top candidate's code, or None when no carrier could be named."""
        return self.candidates[0].carrier if self.candidates else None

    @property
    def decided(self) -> str | None:
        """The carrier to send as ``code``: the top candidate when it is confident and clearly
        ahead; None (let the upstream identify it) when carriers tie or all are weak."""
        if not self.candidates or self.candidates[0].confidence < DECIDE_MIN:
            return None
        if len(self.candidates) > 1 and (
            self.candidates[0].confidence - self.candidates[1].confidence < DECIDE_MARGIN
        ):
            return None
        return self.candidates[0].carrier


@dataclass(frozen=True)
class Span:
    """A candidate number: canonical text, folded-text position and what rules/look-alikes say."""

    number: str
    start: int
    end: int
    matches: tuple[tuple[str | None, float], ...]
    lookalike: tuple[str, float] | None


def find_waybills(
    text: str,
    registry: Registry | None = None,
    *,
    alone: bool = True,
    asked: bool = False,
    learned: Learned | None = None,
) -> list[Waybill]:
    """Waybill numbers in ``text``, canonical, in order of appearance, without duplicates.

    ``alone``: a message that is nothing but one number-like token is a waybill (a private
    chat, or a message addressed to the bot). ``asked``: the text answers a tracking question
    (``/track …``), which is intent in itself. ``learned``: carriers the upstream named for
    numbers of the same pattern, used in ranking.
    """
    folded = mask_urls(fold(text))
    if _TWO_DIGITS.search(folded) is None:
        return []  # most chat lines: nothing number-like at all
    tokens = tokenise(folded)
    spans = candidate_spans(folded, tokens)
    if not spans:
        return []
    events = context.scan(folded, registry or default_registry())
    message_positive = asked or any(e.kind == "pos" for e in events)
    message_carriers = {e.carrier for e in events if e.kind == "carrier"}
    solo = alone and len(spans) == 1 and intent.is_whole(folded, spans[0].start, spans[0].end)
    digit_bounds = [(t.start, t.end) for t in tokens if not t.text.isalpha()]
    found: dict[str, Waybill] = {}
    for span in spans:
        prev_end = max((e for s, e in digit_bounds if e <= span.start), default=0)
        next_start = min((s for s, e in digit_bounds if s >= span.end), default=len(folded))
        local = context.local_context(folded, events, span.start, span.end, prev_end, next_start)
        candidates = score(span, local, message_positive, message_carriers, learned)
        if candidates is None and intent.reports(span, local, message_positive, solo):
            candidates = intent.rank(span, local, learned)
        if candidates is not None and span.number not in found:
            found[span.number] = Waybill(span.number, candidates)
    return list(found.values())


def candidate_spans(folded: str, tokens: list[Token]) -> list[Span]:
    """Numbers (rule matches) and fallbacks (unmatched leftovers) of every run, in order."""
    spans: list[Span] = []
    for run in runs(folded, tokens):
        if len(run) == 1:  # most runs: one token, nothing to cut
            _add_token(spans, run[0])
            continue
        cuts = segment.hard_cuts(folded, run)
        pieces = segment.segment(folded, run, cuts)
        leftover: list[Token] = []
        for piece in pieces:
            if piece.kind == segment.JUNK and not (leftover and cuts[piece.start]):
                leftover.append(run[piece.start])
                continue
            _add_fallback(spans, leftover)
            leftover = [run[piece.start]] if piece.kind == segment.JUNK else []
            if piece.kind in (segment.WEAK, segment.STRONG, segment.BLOCK):
                start, end = run[piece.start].start, run[piece.end - 1].end
                spans.append(Span(piece.number, start, end, piece.matches, piece.lookalike))
        _add_fallback(spans, leftover)
    return spans


def _add_token(spans: list[Span], token: Token) -> None:
    """A run of one token: a number, a look-alike or a fallback."""
    if len(token.text) < FALLBACK_MIN_LENGTH or token.text.isalpha():
        return
    verdict = segment.judge((token.text,))
    if verdict is None:
        _add_fallback(spans, [token])
    else:  # a look-alike stays a span: only a waybill label next to it reports it
        spans.append(Span(token.text, token.start, token.end, verdict[1], verdict[2]))


def _add_fallback(spans: list[Span], group: list[Token]) -> None:
    """Leftover groups typed as one thing, long enough to be some carrier's waybill.

    Only a carrier name next to it gets it reported ("安能 单号 30…", "usps 9400 … 00").
    """
    if not group:
        return
    number = "".join(t.text for t in group)
    if not FALLBACK_MIN_LENGTH <= len(number) <= FALLBACK_MAX_LENGTH:
        return
    if not intent.number_like(number):
        return
    lookalike = lookalikes.classify(number, [t.text for t in group])
    if lookalike is None and rules.rejected(number):
        lookalike = ("invalid_check", lookalikes.BLOCK)  # a distinctive format, check failed
    spans.append(Span(number, group[0].start, group[-1].end, (), lookalike))


def score(
    span: Span,
    local: context.Local,
    message_positive: bool,
    message_carriers: set[str | None],
    learned: Learned | None = None,
) -> tuple[Candidate, ...] | None:
    """Ranked candidates, or None when the span should not be reported."""
    # Only a label reports a look-alike (intent.reports), or a carrier's name a failed check
    # digit ("usps 9400 …": the user knows the carrier, the number has a typo).
    blocked = span.lookalike is not None and span.lookalike[1] >= lookalikes.BLOCK
    if blocked and (span.lookalike[0] != "invalid_check" or local.carrier is None):
        return None
    if not span.matches and (
        not FALLBACK_NAMED_MIN <= len(span.number) <= FALLBACK_NAMED_MAX
        or sum(c.isdigit() for c in span.number) < _MIN_DIGITS
    ):
        return None  # a carrier's name next to it is not enough; intent still may be
    boost = 0.2 if local.positive else 0.1 if message_positive else 0.0
    penalty = 0.0
    if span.number.isdigit():
        penalty += 0.6 if local.negative else 0.0
        if span.lookalike and not local.positive and local.carrier is None:
            penalty += span.lookalike[1]
    scores = {c: p + boost - penalty for c, p in span.matches}
    if len(scores) > 1:
        scores.pop(None, None)
    for carrier in message_carriers:
        if carrier in scores and carrier != local.carrier:
            scores[carrier] += 0.1
    if learned is not None:
        learned.apply(span.number, scores)
    named = local.carrier
    if named is not None:
        _apply_named(scores, named, span, penalty)
    if not scores or max(scores.values()) < REPORT_THRESHOLD:
        return None
    ranked = sorted(((c, s) for c, s in scores.items() if c is not None), key=lambda i: -i[1])
    return tuple(Candidate(c, round(min(0.99, max(0.01, s)), 2)) for c, s in ranked)


def _apply_named(scores: dict[str | None, float], named: str, span: Span, penalty: float) -> None:
    """A carrier the user named next to the number leads; other formats stay as alternatives."""
    if span.matches and named not in scores:
        strongest = max(prior for _, prior in span.matches)
        if not span.number.isdigit() or strongest >= WEAK_FORMAT:
            scores[named] = 0.4 - penalty  # the format says otherwise: keep it as an alternative
            return
        # Bare digits fit weak formats by chance (a 12-digit number passes SF's check one time
        # in ten; some rules take any 12 digits), and carriers' older digit-only formats are
        # not all known: then the name the user typed is better evidence.
        scores[named] = NAMED_OVER_DIGITS - penalty
    elif named in scores:
        prior = dict(span.matches)[named]
        scores[named] = min(0.99, max(prior, 0.55) + 0.4) - penalty
    else:
        scores[named] = FALLBACK_PRIOR + 0.2 - penalty
    top = scores[named]
    for carrier in scores:
        if carrier != named:
            scores[carrier] = min(scores[carrier], top - 0.05)
