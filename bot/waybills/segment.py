"""Split a run of tokens into waybill numbers, look-alikes, phone tails and leftovers.

A run is a sequence of tokens joined by separators ("SF 1385 6287 1673 9 5678"). Of the ways to
cut it we keep the one that explains most characters (numbers, look-alikes, a tail), then
crosses fewest line breaks, then has fewest pieces (the whole run beats parts of it), then the
highest priors.

Where a run may be cut depends on how people type. A *hard* cut is where they separate two
things: a line break, a letter edge ("…0081 JT…", "…785 CN"), a group typed whole (10+
characters), after a short final group ("7512 3456 7890 12 | 7712 …") and where the separator
changes ("2026-11-29 | 7712 …"). Between the groups of one uniform grouping the cut is *soft*
and is taken only between confident pieces, so "9400 1118 9922 3397 6541 00" is never cut
down to a 20-digit sub-span that drops the last group.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.waybills import lookalikes, rules
from bot.waybills.normalise import Token

# A group this long was typed whole: two of them side by side are two numbers.
WHOLE_GROUP = 10
# Priors (after look-alike penalties) that name a format without any context word.
STRONG_PRIOR = 0.8
TAIL_LENGTH = 4

# Short English words typed before a number ("update on 1234…", "is 1234…") are not prefixes.
SHORT_WORDS = frozenset(
    {
        "ALL",
        "AM",
        "AN",
        "AND",
        "ANY",
        "ARE",
        "AS",
        "AT",
        "BE",
        "BUT",
        "BY",
        "CAN",
        "DO",
        "FOR",
        "FROM",
        "GET",
        "GO",
        "GOT",
        "HAS",
        "HAVE",
        "HER",
        "HI",
        "HIS",
        "IF",
        "IN",
        "IS",
        "IT",
        "ITS",
        "JUST",
        "ME",
        "MY",
        "NEW",
        "NO",
        "NOT",
        "NOW",
        "OF",
        "OK",
        "ON",
        "OR",
        "OUR",
        "OUT",
        "PLS",
        "SEE",
        "SENT",
        "SO",
        "THAT",
        "THE",
        "THIS",
        "THX",
        "TO",
        "UP",
        "WAS",
        "WE",
        "WITH",
        "YOU",
    }
)

JUNK, TAIL, BLOCK, WEAK, STRONG = "junk", "tail", "block", "weak", "strong"
_NUMBERS = (WEAK, STRONG)


@dataclass(frozen=True)
class Piece:
    """Tokens ``start:end`` of a run and what they are."""

    start: int
    end: int
    kind: str
    number: str = ""
    matches: tuple[tuple[str | None, float], ...] = ()
    lookalike: tuple[str, float] | None = None
    strength: float = 0.0


def hard_cuts(folded: str, run: list[Token]) -> list[bool]:
    """``cuts[k]``: may the run be cut freely between tokens k-1 and k? (``cuts[0]`` is True.)"""
    gaps = [folded[a.end : b.start] for a, b in zip(run, run[1:], strict=False)]
    cuts = [True]
    for k in range(1, len(run)):
        left, right, gap = run[k - 1].text, run[k].text, gaps[k - 1]
        around = [gaps[m] for m in (k - 2, k) if 0 <= m < len(gaps)]
        neighbours = [g for g in around if "\n" not in g]
        cuts.append(
            "\n" in gap
            or left[-1].isalpha()
            or right[0].isalpha()
            or max(len(left), len(right)) >= WHOLE_GROUP
            or (k >= 2 and not run[k - 2].text.isalpha() and len(left) < len(run[k - 2].text))
            or any(g != gap for g in neighbours)
        )
    return cuts


def _may_cut(before: str, after: str, hard: bool) -> bool:
    """May a piece of kind ``after`` follow one of kind ``before`` across this cut?"""
    if after == TAIL:
        return before in (_NUMBERS if hard else (STRONG,))
    if hard or before == "start" or BLOCK in (before, after):
        return True
    if before == JUNK:
        # Leading groups (a list index, a date) may stand before a self-announcing format.
        return after in (JUNK, STRONG)
    # Never drop trailing groups of a number; two numbers need one of them to be sure.
    return after in _NUMBERS and STRONG in (before, after)


@lru_cache(maxsize=8192)
def judge(groups: tuple[str, ...]) -> tuple[str, tuple, tuple[str, float] | None, float] | None:
    """(kind, matches, look-alike, strength) of a span typed as ``groups``, or None."""
    number = "".join(groups)
    lookalike = lookalikes.classify(number, list(groups))
    if lookalike and lookalike[1] >= lookalikes.BLOCK:
        return BLOCK, (), lookalike, 1.0
    if len(groups) > 1 and groups[0].isalpha():
        rest = lookalikes.classify("".join(groups[1:]), list(groups[1:]))
        if rest == ("mobile", lookalikes.BLOCK):
            return None  # "JDXX 138 1234 5678" is a word and a phone, not a JD waybill
    matches = rules.match(number)
    if not matches:
        return None
    strength = matches[0][1] - (lookalike[1] if lookalike else 0.0)
    return (STRONG if strength >= STRONG_PRIOR else WEAK), matches, lookalike, strength


def _spans_at(texts: tuple[str, ...], i: int):
    """Number and look-alike pieces starting at token i, shortest first.

    Only the first group may be letters before any digit (a prefix: SF, JVGL); letter groups
    after a digit are part of the number (1Z… AA1) or a country suffix (CN).
    """
    if texts[i].isalpha() and (len(texts[i]) > 4 or texts[i] in SHORT_WORDS):
        return  # longer than any prefix, or a short English word: a word ("TRACKING", "ON")
    size, digits = 0, False
    for j in range(i + 1, len(texts) + 1):
        group = texts[j - 1]
        size += len(group)
        if size > rules.MAX_LENGTH:
            return
        if j - 1 > i:
            inner = texts[j - 2]
            spelled = len(group) == 1 and all(len(t) == 1 for t in texts[i : j - 1])
            if min(len(inner), len(group)) >= WHOLE_GROUP or (
                group.isalpha() and not digits and not spelled
            ):
                return  # two groups typed whole are two numbers; two words are words ("J J D…"
                # spelled out letter by letter is a prefix)
        digits = digits or not group.isalpha()
        if size < rules.MIN_LENGTH or (group.isalpha() and (len(group) > 2 or j - 1 == i)):
            continue
        verdict = judge(texts[i:j])
        if verdict is not None:
            kind, matches, lookalike, strength = verdict
            yield Piece(i, j, kind, "".join(texts[i:j]), matches, lookalike, strength)


def segment(folded: str, run: list[Token], cuts: list[bool]) -> list[Piece]:
    """The best cut of ``run`` (with its ``hard_cuts``) into pieces covering every token."""
    texts = tuple(t.text for t in run)
    breaks = [k for k in range(1, len(run)) if "\n" in folded[run[k - 1].end : run[k].start]]
    last_digits = max((k for k, t in enumerate(texts) if not t.isalpha()), default=-1)
    # best[i][kind of the last piece] = (score, previous (i, kind), piece)
    best: list[dict[str, tuple]] = [{} for _ in range(len(run) + 1)]
    best[0]["start"] = ((0, 0, 0, 0.0), None, None)
    for i in range(len(run)):
        if not best[i]:
            continue
        pieces = [Piece(i, i + 1, JUNK)]
        if i == last_digits and len(texts[i]) == TAIL_LENGTH and texts[i].isdigit():
            pieces.append(Piece(i, i + 1, TAIL, texts[i]))
        pieces.extend(_spans_at(texts, i))
        for piece in pieces:
            _relax(best, i, piece, cuts[i], sum(1 for k in breaks if i < k < piece.end))
    return _backtrack(best, len(run))


def _relax(best: list[dict[str, tuple]], i: int, piece: Piece, hard: bool, crossed: int) -> None:
    """Extend every state ending at token i with ``piece`` where the cut allows it."""
    if crossed and piece.kind not in (STRONG, BLOCK):
        return  # lines hold different things; only a self-announcing format is wrapped
    covered = len(piece.number) if piece.kind != JUNK else 0
    for before, (score, _, _) in best[i].items():
        if not _may_cut(before, piece.kind, hard):
            continue
        new = (
            score[0] + covered,
            score[1] - crossed,
            score[2] - (piece.kind != JUNK),
            score[3] + piece.strength,
        )
        current = best[piece.end].get(piece.kind)
        if current is None or new > current[0]:
            best[piece.end][piece.kind] = (new, (i, before), piece)


def _backtrack(best: list[dict[str, tuple]], end: int) -> list[Piece]:
    kind = max(best[end], key=lambda k: best[end][k][0])
    pieces = []
    while end > 0:
        _, (start, before), piece = best[end][kind]
        pieces.append(piece)
        end, kind = start, before
    return pieces[::-1]
