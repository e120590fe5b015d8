"""Intent decides, formats rank: numbers no format claims, look-alikes, labels, bare messages."""

from __future__ import annotations

from bot.waybills import find_waybills
from bot.waybills.extract import Candidate, Waybill
from tests.waybills import numbers as n

KOREAN = "4052719384"  # 10 digits: no rule, a CJ-style number


def numbers(text: str, **kw) -> list[str]:
    return [w.number for w in find_waybills(text, **kw)]


def test_intent_reports_a_number_no_format_knows_with_no_carrier():
    for text in (f"麻烦帮我查一下快递 {KOREAN} 到哪了", f"where is my parcel {KOREAN}?"):
        (found,) = find_waybills(text)
        assert found.number == KOREAN and found.carrier is None
    assert numbers(f"会议室 {KOREAN} 见") == []  # no intent, no format: nothing


def test_a_bare_number_counts_only_when_said_to_the_bot():
    unknown = "IDE702345618901"  # a letter prefix no rule knows, 12 digits
    assert numbers(unknown) == [unknown]
    assert numbers(f"  {unknown} 。") == [unknown]
    assert numbers(unknown, alone=False) == []  # an unaddressed group message
    assert numbers("20261130") == []  # 8 digits alone: too short without a word


def test_lone_digits_need_a_format_that_fits():
    assert numbers(KOREAN) == []  # 10 digits, no check passes: an order or account number?
    assert numbers(f"查一下 {KOREAN}") == [KOREAN]
    cj = n.mod7("61234098765")  # Korean CJ/Japanese style: the last digit is mod 7
    assert numbers(cj) == [cj]
    best = "568283610012734"  # 15 digits with Best's 56 prefix: an older format, reported
    assert numbers(best) == [best]


def test_a_waybill_label_wins_over_look_alikes_but_not_over_a_mobile():
    card = n.luhn("622588017394628")
    assert numbers(f"打到卡上 {card}") == []
    assert numbers(f"快递单号：{card}") == [card]
    assert numbers(f"查一下快递 {card}") == []  # intent alone does not beat a look-alike
    assert numbers("快递单号：13812345678") == []


def test_negative_words_before_or_right_after_keep_it_out():
    assert numbers(f"查一下订单号 {KOREAN}") == []
    assert numbers(f"{KOREAN} 是内部流水号，不是运单") == []


def test_examples_and_dummies_are_not_numbers():
    assert numbers("查快递 1234567890123") == []
    assert numbers("tracking 10000000000") == []


def test_validator_rejected_numbers_stay_out():
    good = n.s10("RR", "87654321", "CN")
    bad = good[:10] + str((int(good[10]) + 1) % 10) + "CN"
    assert numbers(f"查一下 {good}") == [good]
    assert numbers(f"查一下 {bad}") == []
    assert numbers("查一下快递 SF12345") == []  # short, but also SF with no SF format
    assert numbers("查一下快递 JD00012345670123") == []  # JD's prefix, no JD format fits


def test_spelled_out_letters_join_the_number():
    assert numbers("Y T 2 2 2 9 5 2 1 7 2 6 1 6 4 4 4 8") == ["YT2229521726164448"]


def test_new_letter_prefixed_formats_name_their_carrier():
    cases = {
        "TBA123456789012": "swiship",
        "KYE300012345678": "kuayue",
        "VC52179186331": "jd",
        "ANE300012345678": "annengwuliu",
        "TTK660012345678": "tiantian",
        "SN100012345678": "suning",
        "LA21234567": "lasership",
    }
    for number, carrier in cases.items():
        assert find_waybills(f"查一下 {number}")[0].carrier == carrier, number


def test_decided_is_none_when_carriers_tie_or_are_weak():
    tie = Waybill("X", (Candidate("a", 0.7), Candidate("b", 0.65)))
    weak = Waybill("X", (Candidate("a", 0.55),))
    clear = Waybill("X", (Candidate("a", 0.9), Candidate("b", 0.5)))
    assert (tie.decided, weak.decided, clear.decided) == (None, None, "a")
    assert tie.carrier == "a"  # the JSON contract still shows the top candidate


def test_a_track_command_is_intent():
    from bot.engine_commands import parse_number_args

    assert numbers(f"{KOREAN} {KOREAN[::-1]}", asked=True) == [KOREAN, KOREAN[::-1]]
    parsed = parse_number_args(f"{KOREAN} 5678")
    assert parsed.waybill.number == KOREAN and parsed.tail == "5678"
