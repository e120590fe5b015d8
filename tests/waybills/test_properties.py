"""Property tests: valid numbers survive real-world spelling; mobiles are never reported."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.waybills import canonical, find_waybills
from tests.waybills import numbers as n

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def body(size: int):
    return st.text(alphabet="0123456789", min_size=size, max_size=size)


# Formats that are reported without any context word.
valid_numbers = st.one_of(
    body(12).map(n.sf),
    body(13).map(lambda b: "YT" + b),
    body(13).map(lambda b: "JT" + b),
    body(12).map(lambda b: "DPK" + b),
    body(11).map(lambda b: "JDX0" + b),
    body(12).map(lambda b: "75" + b),
    body(13).map(lambda b: "77" + b),
    body(13).map(lambda b: "43" + b),
    body(8).map(lambda b: "11" + b).map(n.china_post13),
    body(8).map(lambda s: n.s10("EA", s, "CN")),
    st.text(alphabet="0123456789ABCDEFGHJKLMNPRSTUVWXYZ", min_size=15, max_size=15).map(n.ups),
    body(19).map(lambda b: n.usps22("94" + b)),
)
separators = st.sampled_from([" ", "-", ".", "\u3000", "－", " - "])
# Neutral surroundings; glued Chinese, brackets, quotes, trailing punctuation.
prefixes = st.sampled_from(
    ["", "单号", "快递单号：", "tracking ", "看下", "【", "（", "“", "#", "pasted: "]
)
suffixes = st.sampled_from(["", "。", "！！", "】", "）", "”", "#", " 谢谢", " please", "到哪了"])


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def spelled(draw, number: str) -> str:
    """The number split into groups of 3-5 with a separator, maybe full-width / lower case."""
    groups, i = [], 0
    split = draw(st.booleans())
    while i < len(number):
        size = draw(st.integers(3, 5)) if split else len(number)
        groups.append(number[i : i + size])
        i += size
    text = draw(separators).join(groups) if split else number
    if draw(st.booleans()):
        text = text.lower()
    if draw(st.booleans()):
        text = to_fullwidth(text)
    return text


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=valid_numbers, prefix=prefixes, suffix=suffixes)
def test_valid_number_survives_spelling_and_surroundings(data, number, prefix, suffix):
    text = prefix + data.draw(spelled(number)) + suffix
    assert canonical(data.draw(spelled(number))) == number
    assert [w.number for w in find_waybills(text)] == [number]


mobiles = st.tuples(st.sampled_from("3456789"), body(9)).map(lambda t: "1" + t[0] + t[1])


@st.composite
def mobile_spelling(draw) -> str:
    """A mainland mobile as people write it: +86, 3-4-4 groups, full-width, brackets."""
    number = draw(mobiles)
    sep = draw(st.sampled_from(["", " ", "-", "\u3000"]))
    text = sep.join([number[:3], number[3:7], number[7:]])
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "(+86)", "86", "0086 "]))
    text = prefix + text
    if draw(st.booleans()):
        text = to_fullwidth(text)
    return text


contexts = st.sampled_from(["", "手机", "单号", "快递单号：", "顺丰 ", "call me at ", "tracking "])


@settings(max_examples=400, deadline=None)
@given(spelling=mobile_spelling(), before=contexts, after=suffixes)
def test_mobile_numbers_are_never_reported(spelling, before, after):
    text = before + spelling + after
    assert find_waybills(text) == [], unicodedata.normalize("NFKC", text)


@settings(max_examples=150, deadline=None)
@given(spelling=mobile_spelling(), number=valid_numbers)
def test_mobile_next_to_a_waybill_is_not_reported(spelling, number):
    reported = [w.number for w in find_waybills(f"单号{number}，电话{spelling}")]
    assert reported == [number]
