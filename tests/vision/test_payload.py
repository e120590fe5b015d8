"""A decoded barcode's text goes through waybill detection with the right intent."""

from __future__ import annotations

import random

import pytest

from bot.vision.payload import waybills_in_code
from tests.waybills.generated import KINDS


def numbers(text: str, fmt: str = "Code128") -> list[str]:
    return [w.number for w in waybills_in_code(text, fmt)]


def test_a_lone_label_code_is_a_waybill_for_every_kind_of_number():
    # Including those typed text needs a word for (12-digit JD, Korea Post, SiCepat…):
    # a label's barcode is a request in itself.
    rng = random.Random(15)
    missed = []
    for kind in KINDS:
        for _ in range(4):
            number = kind.make(rng)
            if numbers(number) != [number]:
                missed.append((kind.name, number))
    assert missed == []


def test_the_carrier_is_ranked_as_for_typed_text():
    (waybill,) = waybills_in_code("SF1403528671045", "Code128")
    assert waybill.carrier == "shunfeng"


@pytest.mark.parametrize(
    "text",
    ["13912345678", "6901234567892", "1234567890123", "", "   ", "HELLO-WORLD"],
    ids=["mobile", "ean-as-128", "counting-up", "empty", "blank", "word"],
)
def test_what_no_label_makes_a_waybill_stays_out(text):
    assert numbers(text) == []


def test_retail_codes_need_a_carrier_format_of_their_own():
    assert numbers("6901234567892", "EAN13") == []
    assert numbers("SF1403528671045", "EAN13") == ["SF1403528671045"]  # odd, but a real format


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("https://m.kuaidi100.com/result.jsp?nu=773098765432&com=zhongtong", ["773098765432"]),
        ("https://example.cn/t/JT5083172916423#x", ["JT5083172916423"]),
        ('{"mailNo": "432109876543", "orderId": "2023111112345678"}', ["432109876543"]),
        ('[{"waybill_no": "YT7512408369251"}]', ["YT7512408369251"]),
        ("收件人:张三\n运单号:773098765432\n订单号:2023111112345678", ["773098765432"]),
        ("https://item.jd.com/100028204032.html", []),
        ("https://u.example.cn/x?id=39284617503912&from=qr", []),
    ],
    ids=["kuaidi100-url", "path", "json", "json-list", "lines", "item-link", "any-id"],
)
def test_structured_payloads_give_the_field_that_names_a_waybill(payload, expected):
    assert numbers(payload, "QRCode") == expected
