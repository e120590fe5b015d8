"""Words around a number that decide it: parcel labels ending in 编号, shop codes, ISBNs,
links pasted without a scheme, and a carrier the user names next to bare digits."""

from __future__ import annotations

import pytest

from bot.waybills import find_waybills

# Numbers chosen to pass a format by chance, as shop codes and ISBNs sometimes do.
SF_BY_CHANCE = "604211785305"  # 12 digits that pass SF's check digit
EMS_BY_CHANCE = "9787302400000"  # an ISBN-13 that passes China Post's check


def found(text: str) -> list[tuple[str, str]]:
    return [(w.number, w.carrier) for w in find_waybills(text)]


def test_the_chance_numbers_are_waybills_when_called_so():
    assert found(f"快递单号 {SF_BY_CHANCE}") == [(SF_BY_CHANCE, "shunfeng")]
    assert found(f"快递单号 {EMS_BY_CHANCE}") == [(EMS_BY_CHANCE, "ems")]


@pytest.mark.parametrize("label", ["运单编号", "快递编号", "物流编号", "包裹编号", "快件编号"])
def test_parcel_labels_ending_in_bianhao_are_positive(label):
    assert found(f"您的{label}：75312345678901 请查收") == [("75312345678901", "zhongtong")]


def test_a_bare_bianhao_is_still_a_negative():
    assert found("设备编号 75312345678901 已登记") == []


@pytest.mark.parametrize("label", ["兑换码", "优惠码", "激活码", "邀请码", "券码", "优惠券"])
def test_shop_codes_next_to_shipping_words_are_not_waybills(label):
    assert found(f"已发顺丰包邮，{label}：{SF_BY_CHANCE} 下次可用") == []


def test_an_isbn_is_not_a_post_waybill():
    assert found(f"书已打包，ISBN {EMS_BY_CHANCE}，明天发快递") == []
    assert found(f"书号 {EMS_BY_CHANCE} 明天寄出") == []


def test_links_without_a_scheme_are_masked_but_the_waybill_beside_them_is_not():
    text = f"同款 detail.tmall.com/item/{SF_BY_CHANCE}.htm 已发货，单号 YT1234567890123"
    assert found(text) == [("YT1234567890123", "yuantong")]


@pytest.mark.parametrize(
    ("name", "number", "carrier"),
    [
        ("中通快递单号", "680012345678", "zhongtong"),
        ("圆通", "880012345678", "yuantong"),
        ("申通单号", "550012345678", "shentong"),
        ("中通", SF_BY_CHANCE, "zhongtong"),  # the name beats a check digit passed by chance
    ],
)
def test_a_named_carrier_leads_bare_digits_that_only_weak_formats_match(name, number, carrier):
    assert found(f"{name} {number} 查一下") == [(number, carrier)]


def test_a_distinctive_format_still_beats_a_nearby_name():
    # ZTO's 73… + 12 digits is its own; 申通 names the second number.
    text = "中通和申通：7351 2345 6789 01 7712 3456 7890 123"
    assert found(text)[0] == ("73512345678901", "zhongtong")


@pytest.mark.parametrize(
    ("text", "number", "carrier"),
    [
        ("两个件 JD0012345678901-1-1 和 EMS1153419709862 都没到", "1153419709862", "ems"),
        ("ups1Z999AA10123456784 到哪了", "1Z999AA10123456784", "ups"),
        ("中通ZTO75312345678901", "75312345678901", "zhongtong"),
    ],
)
def test_a_carrier_code_typed_onto_its_number_is_split_off(text, number, carrier):
    assert (number, carrier) in found(text)


def test_codes_that_begin_waybill_formats_stay_on_the_number():
    assert found("SF1524097970481") == [("SF1524097970481", "shunfeng")]
    assert found("YT1234567890123") == [("YT1234567890123", "yuantong")]


def test_the_sparsest_ups_number_has_only_two_digits():
    # 1Z + letters + a check digit: a quick exit must not want three digits.
    assert found("1ZAAAAAAAAAAAAAAA6") == [("1ZAAAAAAAAAAAAAAA6", "ups")]
