"""Find waybill numbers in a chat message and rank their carriers.

Pipeline: fold (NFKC + upper) → mask URLs → tokens → runs of tokens joined by separators (or
one line break) → cut each run into numbers, look-alikes (consumed, never searched inside),
phone tails and leftovers (``segment``) → score each candidate with the words around it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.carriers import Registry, default_registry
from bot.waybills import context, lookalikes, segment
from bot.waybills.normalise import Token, fold, mask_urls, runs, tokenise

REPORT_THRESHOLD = 0.5
# A number the user labels with a carrier name but no rule knows ("安能 单号 30…").
FALLBACK_MIN_LENGTH = 10
FALLBACK_MAX_LENGTH = 24
FALLBACK_PRIOR = 0.45
#: A named carrier's score on a digit-only number that only weak formats of others match
#: (prior below WEAK_FORMAT; a distinctive one like ZTO's 73… + 12 digits stays ahead).
NAMED_OVER_DIGITS = 0.6
WEAK_FORMAT = 0.5
_MIN_DIGITS = 8
_QUICK_MIN_DIGITS = 2  # "1Z" + letters + a check digit is the sparsest format


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


@dataclass(frozen=True)
class Span:
    """A candidate number: canonical text, folded-text position and what rules/look-alikes say."""

    number: str
    start: int
    end: int
    matches: tuple[tuple[str | None, float], ...]
    lookalike: tuple[str, float] | None


def find_waybills(text: str, registry: Registry | None = None) -> list[Waybill]:
    """Waybill numbers in ``text``, canonical, in order of appearance, without duplicates."""
    folded = mask_urls(fold(text))
    if sum(ch.isdigit() for ch in folded) < _QUICK_MIN_DIGITS:
        return []  # most chat lines: nothing number-like at all
    tokens = tokenise(folded)
    spans = candidate_spans(folded, tokens)
    if not spans:
        return []
    events = context.scan(folded, registry or default_registry())
    message_positive = any(e.kind == "pos" for e in events)
    message_carriers = {e.carrier for e in events if e.kind == "carrier"}
    digit_bounds = [(t.start, t.end) for t in tokens if not t.text.isalpha()]
    found: dict[str, Waybill] = {}
    for span in spans:
        prev_end = max((e for s, e in digit_bounds if e <= span.start), default=0)
        next_start = min((s for s, e in digit_bounds if s >= span.end), default=len(folded))
        local = context.local_context(folded, events, span.start, span.end, prev_end, next_start)
        candidates = score(span, local, message_positive, message_carriers)
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
            if piece.kind in (segment.WEAK, segment.STRONG):
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
    elif verdict[0] != segment.BLOCK:
        spans.append(Span(token.text, token.start, token.end, verdict[1], verdict[2]))


def _add_fallback(spans: list[Span], group: list[Token]) -> None:
    """Leftover groups typed as one thing, long enough to be some carrier's waybill.

    Only a carrier name next to it gets it reported ("安能 单号 30…", "usps 9400 … 00").
    """
    if not group:
        return
    number = "".join(t.text for t in group)
    digits = sum(ch.isdigit() for ch in number)
    if not FALLBACK_MIN_LENGTH <= len(number) <= FALLBACK_MAX_LENGTH or digits < _MIN_DIGITS:
        return
    if lookalikes.classify(number, [t.text for t in group]):
        return
    spans.append(Span(number, group[0].start, group[-1].end, (), None))


def score(
    span: Span, local: context.Local, message_positive: bool, message_carriers: set[str | None]
) -> tuple[Candidate, ...] | None:
    """Ranked candidates, or None when the span should not be reported."""
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
