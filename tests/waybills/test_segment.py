"""How a run of groups is cut into numbers, look-alikes, tails and leftovers."""

from __future__ import annotations

import pytest

from bot.waybills import segment
from bot.waybills.lookalikes import classify
from bot.waybills.normalise import fold, runs, tokenise


def cut(text: str) -> list[tuple[str, str]]:
    """(kind, text) of every non-junk piece of the single run in ``text``."""
    folded = fold(text)
    (run,) = runs(folded, tokenise(folded))
    pieces = segment.segment(folded, run, segment.hard_cuts(folded, run))
    return [(p.kind, p.number) for p in pieces if p.kind != segment.JUNK]


def hard(text: str) -> list[bool]:
    folded = fold(text)
    (run,) = runs(folded, tokenise(folded))
    return segment.hard_cuts(folded, run)[1:]


@pytest.mark.parametrize(
    ("text", "cuts"),
    [
        ("9400 1118 9922 3397", [False, False, False]),  # one uniform grouping
        ("7512 3456 7890 12 7712", [False, False, False, True]),  # after a short final group
        ("SF 1385 6287", [True, False]),  # letter edge
        ("2026-11-29 7712 3456", [False, True, True, False]),  # the separator changes
        ("771234567890123 5678", [True]),  # a group typed whole
        ("SF138562\n8716739", [True]),  # line break
    ],
)
def test_hard_cuts_follow_how_people_type(text, cuts):
    assert hard(text) == cuts


def test_whole_run_wins_when_it_matches():
    assert cut(" ".join("771234567890123")) == [("strong", "771234567890123")]


def test_uniform_grouping_is_not_truncated_to_a_sub_span():
    # 22 digits with a wrong check digit; its first 20 digits pass the USPS-20 check.
    assert cut("9400 1118 9922 3397 6541 00") == []


def test_four_digits_after_a_strong_number_are_a_tail():
    assert cut("771 2345 6789 0123 5678") == [
        ("strong", "771234567890123"),
        ("tail", "5678"),
    ]


def test_four_digits_after_a_weak_number_stay_part_of_the_run():
    assert cut("1234 5678 9012 3456") == []  # not a 12-digit number plus a tail


def test_two_whole_groups_are_two_numbers():
    assert cut("771234567890123 772468013579246") == [
        ("strong", "771234567890123"),
        ("strong", "772468013579246"),
    ]
    # Never joined into one 20-digit USPS number (each may still be a weak DHL candidate).
    assert all(len(number) == 10 for _, number in cut("1234567890 1234567891"))


def test_a_line_break_joins_only_a_self_announcing_format():
    assert cut("7712 3456\n7890 123") == [("strong", "771234567890123")]
    assert cut("1234\n56789012") == []  # a weak 12-digit join across lines is not taken


def test_look_alike_is_consumed_whole():
    assert cut("771 2345 6789 0123 138 1234 5678") == [
        ("strong", "771234567890123"),
        ("block", "13812345678"),
    ]


def test_date_takes_only_time_shaped_groups():
    assert classify("2026112914", ["2026", "11", "29", "14"]) is not None
    assert classify("20261129771234567890123", ["2026", "11", "29", "771234567890123"]) is None
