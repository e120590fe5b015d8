"""The 4-digit phone tail users give for SF queries."""

from __future__ import annotations

import pytest

from bot.waybills import find_phone_tail
from tests.waybills import numbers as n

SF = n.sf("123456789012")


@pytest.mark.parametrize(
    ("text", "tail"),
    [
        ("尾号1234", "1234"),
        ("手机后四位：1234", "1234"),
        ("收件人手机尾号是 5678，麻烦查下", "5678"),
        ("后4位 0021", "0021"),
        ("tail 1234", "1234"),
        ("last 4 digits: 9876", "9876"),
        ("1234", "1234"),
        ("  １２３４ ", "1234"),
        (f"{SF} 1234", "1234"),
        (f"{SF}，4321", "4321"),
        (f"顺丰 {SF} 尾号:1234", "1234"),
    ],
)
def test_finds_tail(text, tail):
    assert find_phone_tail(text) == tail


@pytest.mark.parametrize(
    "text",
    [
        "验证码 1234",
        "尾号12345",  # part of a longer number
        "尾号 1234 5678",
        f"{SF} 1234 5678",
        "12345",
        "房间号 4716",
        "SF1234567890123",
        "",
    ],
)
def test_no_tail(text):
    assert find_phone_tail(text) is None
