"""Extraction, rejection and carrier ranking on messages written in other styles.

None of these lines come from the dev corpus: SMS notices, English, odd spacing, look-alikes.
All numbers are invented (built with valid check digits by tests/waybills/numbers.py).
"""

from __future__ import annotations

import pytest

from bot.waybills import canonical, find_waybills
from tests.waybills import numbers as n

SF = n.sf("123456789012")
SF_LEGACY = n.sf_legacy("75512345678")
EMS = n.china_post13("1112345678")
FEDEX = n.fedex12("77123456789")
UPS = n.ups("A1B2C3D4E5F6G7H")
USPS = n.usps22("940011020088216012345")
DHL = n.dhl10("123456789")


def found(text: str) -> list[tuple[str, str | None]]:
    return [(w.number, w.carrier) for w in find_waybills(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"【顺丰速运】您的快件{SF}已由快递员揽收，请保持电话畅通。退订回T", [(SF, "shunfeng")]),
        (
            "【菜鸟驿站】您的中通包裹已到XX驿站，取件码12-3-4567，运单号75123456789012，请及时领取",
            [("75123456789012", "zhongtong")],
        ),
        (f"Hi, your parcel {UPS} shipped via UPS. Questions? Call 1-800-742-5877", [(UPS, "ups")]),
        (
            f"tracking no: {USPS[:4]} {USPS[4:8]} {USPS[8:12]} {USPS[12:16]} {USPS[16:]}",
            [(USPS, "usps")],
        ),
        (f"order 1234567890123456789 shipped with fedex {FEDEX}", [(FEDEX, "fedex")]),
        (f"DHL waybill no. {DHL[:3]} {DHL[3:6]} {DHL[6:]}", [(DHL, "dhl")]),
        (f"ＳＦ　{SF[2:6]}－{SF[6:10]}－{SF[10:]}", [(SF, "shunfeng")]),
        (f"sf {SF[2:]} 麻烦看下", [(SF, "shunfeng")]),
        ("中通的75 1234 5678 9012", [("75123456789012", "zhongtong")]),
        (f"#{SF}#{EMS}", [(SF, "shunfeng"), (EMS, "ems")]),
        (
            f"{EMS}\n{SF}\n78123456789012",
            [(EMS, "ems"), (SF, "shunfeng"), ("78123456789012", "zhongtong")],
        ),
        (f"手机 138 1234 5678 ，单号：{SF}", [(SF, "shunfeng")]),
        (f"快递单号 {EMS}，收件人 138-1234-5678", [(EMS, "ems")]),
        (f"顺丰 {SF_LEGACY} 尾号 5678", [(SF_LEGACY, "shunfeng")]),
        ("Royal Mail " + n.s10("RR", "12345678", "GB"), [("RR123456785GB", "royalmail")]),
        ("registered letter rr 123456785 hk", [("RR123456785HK", "hkpost")]),
        (
            "ZTO 7512 3456 7890 12 & STO 7712 3456 7890 123",
            [("75123456789012", "zhongtong"), ("771234567890123", "shentong")],
        ),
        (f"two copies: {SF} and {SF.lower()}", [(SF, "shunfeng")]),
        (f"“{SF}”、「{EMS}」", [(SF, "shunfeng"), (EMS, "ems")]),
        ("YunExpress YT2229521272164446 from Shenzhen", [("YT2229521272164446", "yuntrack")]),
        ("DHL piece JJD0099999999 arrived", [("JJD0099999999", "dhl")]),
    ],
)
def test_finds_numbers_in_other_styles(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "carrier"),
    [
        ("安能物流 单号 300123456789", "annengwuliu"),  # typed name beats the SF check
        ("百世快递 70123456789012", "huitongkuaidi"),
        ("跨越速运单号：KY4000123456789", "kuayue"),  # no rule: the typed name decides
        (f"FedEx 单号 {FEDEX[:4]} {FEDEX[4:8]} {FEDEX[8:]}", "fedex"),
        (f"{SF_LEGACY}（顺丰）", "shunfeng"),
    ],
)
def test_typed_carrier_name_leads(text, carrier):
    waybills = find_waybills(text)
    assert len(waybills) == 1 and waybills[0].carrier == carrier


@pytest.mark.parametrize(
    "text",
    [
        "收件人 13812345678",
        "电话 +86 138 1234 5678",
        "call (+86)138-1234-5678",
        "手机１３８１２３４５６７８",
        "0086 13812345678",
        "座机 0755-88888888",
        "快递小哥电话 021 6438 5086",
        "请拨打 400-820-8388 或 95338",
        f"身份证 {n.id_card('11010519491231002')}",
        f"卡号 {n.luhn('622202123456789012')}",
        f"卡 {n.luhn('622848001234567')[:4]} {n.luhn('622848001234567')[4:8]} "
        f"{n.luhn('622848001234567')[8:12]} {n.luhn('622848001234567')[12:]}",
        f"IMEI {n.luhn('86012345678901')}",
        f"{n.luhn('35012345678901')}",
        "订单号 1234567890123456789",
        "拼多多 240101-312345678901234",
        f"订单号：{SF_LEGACY}",
        f"订单编号 {EMS}",
        "1715500800",
        "timestamp 1715500800123",
        "2024.05.12 14:30 签收",
        "2024-05-12 12:30:45",
        "20240512143045",
        "¥1299.00 订单 1234567890",
        "https://item.jd.com/100012345678.html",
        "see https://example.com/track?id=771234567890123",
        "QQ 1234567891",
        "行李牌 1234567891",
        "验证码 123456",
        "取件码 3-2-9944",
        "工号 SF12345",
        "JDXX 138 1234 5678",
        "发票代码 044031900111 发票号码 12345678",
        "mail me at sf1234567890122@example.com",
    ],
)
def test_rejects_look_alikes(text):
    assert find_waybills(text) == []


def test_context_decides_bare_twelve_digits():
    assert found(f"运单号 {SF_LEGACY}") == [(SF_LEGACY, "shunfeng")]
    assert found(f"订单号 {SF_LEGACY}") == []
    assert found(SF_LEGACY) == []  # a bare 12-digit run fits too many things


def test_imei_shaped_yunda_needs_a_waybill_word():
    number = n.luhn("35012345678901")
    assert found(number) == []
    assert found(f"韵达 {number}") == [(number, "yunda")]


def test_candidates_are_ranked_and_bounded():
    (waybill,) = find_waybills(f"快递单号 {SF_LEGACY}")
    confidences = [c.confidence for c in waybill.candidates]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 < c <= 0.99 for c in confidences)
    assert waybill.carrier == "shunfeng"
    assert "fedex" not in {c.carrier for c in waybill.candidates}  # fails the FedEx check


def test_unknown_postal_operator_gives_number_without_carrier():
    number = n.s10("RR", "87654321", "ZA")
    (waybill,) = find_waybills(f"registered mail {number}")
    assert waybill.number == number and waybill.carrier is None


def test_canonical():
    assert canonical(" ｓｆ 1234-5678.9012 2 ") == "SF1234567890122"
    assert canonical("Jt\u30001234") == "JT1234"
