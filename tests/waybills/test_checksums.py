"""Check-digit algorithms against published valid and invalid numbers.

SF and China Post samples are the public numbers listed in docs/waybills.md §1.1-1.2; UPS,
FedEx, DHL, USPS and S10 test numbers are read from jkeen/tracking_number_data's courier files.
"""

from __future__ import annotations

import json

import pytest

from bot.waybills import checksums as ck
from bot.waybills.normalise import canonical
from tests.waybills import numbers
from tests.waybills.corpus import JKEEN_DIR

SF_VALID = [
    "925153711389",
    "786187979245",
    "118461988807",
    "243802161192",
    "304312442386",
    "304312442400",
    "367847964498",
    "903773876792",
    "289283464329",
    "444010688260",
    "243489559219",
    "SF1385628716739",
    "SF1141900154711",
    "SF0218947552508",
]
CHINA_POST_VALID = [
    "9710834110512",
    "1207119765021",
    "1136281381675",
    "1240921381750",
    "1115785780598",
    "1085160751132",
    "1006739505821",
    "9745531155532",
]
# 98/99-prefixed 邮政快递包裹 numbers do not carry the check (docs/waybills.md §1.2).
CHINA_POST_98_99 = [
    "9894779374320",
    "9893442769997",
    "9893408007637",
    "9977937814368",
    "9890129957456",
    "9890126755208",
]


@pytest.mark.parametrize("number", SF_VALID)
def test_sf_accepts_public_numbers(number):
    assert ck.sf_valid(number)


@pytest.mark.parametrize("number", SF_VALID)
def test_sf_rejects_each_wrong_last_digit(number):
    wrong = [number[:-1] + d for d in "0123456789" if d != number[-1]]
    assert not any(ck.sf_valid(n) for n in wrong)


@pytest.mark.parametrize("number", CHINA_POST_VALID)
def test_china_post13_accepts_public_numbers(number):
    assert ck.china_post13_valid(number)


def test_china_post13_does_not_fit_98_99_parcels():
    assert not any(ck.china_post13_valid(n) for n in CHINA_POST_98_99)


def test_s10_check_digit_special_remainders():
    # remainder 0 -> 5 and remainder 1 -> 0 are the S10 special cases.
    assert numbers.s10("RB", "12345678", "GB") == "RB123456785GB"
    serials = [f"{i:08d}" for i in range(0, 3000, 7)]
    checks = {ck.s10_check_digit(s) for s in serials}
    assert checks <= set(range(10)) and {0, 5} <= checks


def _jkeen(file: str, tracking_id_or_name: str) -> dict:
    path = JKEEN_DIR / file
    if not path.exists():
        pytest.skip(f"jkeen courier data not found at {path}")
    for entry in json.loads(path.read_text(encoding="utf-8"))["tracking_numbers"]:
        if tracking_id_or_name in (entry.get("id"), entry.get("name")):
            return entry["test_numbers"]
    raise LookupError(tracking_id_or_name)


JKEEN_CASES = [
    ("ups.json", "ups", ck.ups_valid, r"1Z[0-9A-Z]{16}"),
    ("ups.json", "UPS Waybill", ck.ups_waybill_valid, r"[AHJKTV]\d{10}"),
    ("fedex.json", "fedex_12", ck.fedex12_valid, r"\d{12}"),
    ("fedex.json", "fedex_34", ck.fedex34_valid, r"\d{34}"),
    ("fedex.json", "fedex_ground", ck.fedex_ground15_valid, r"\d{15}"),
    ("fedex.json", "fedex_ground_96", ck.fedex_ground96_valid, r"96\d{20}"),
    ("fedex.json", "fedex_ground_sscc_18", ck.sscc18_valid, r"\d{18}"),
    ("dhl.json", "dhl_express", ck.dhl_valid, r"\d{10,11}"),
    ("usps.json", "usps_20", ck.usps20_valid, r"\d{20}"),
    ("usps.json", "usps_impb_n", ck.usps_impb_valid, r"\d{22,34}"),
    ("usps.json", "usps_impb_c", ck.usps_impb_valid, r"\d{22,34}"),
    ("s10.json", "s10", ck.s10_valid, r"[A-Z]{2}\d{9}[A-Z]{2}"),
]


@pytest.mark.parametrize(("file", "entry", "valid", "shape"), JKEEN_CASES)
def test_jkeen_valid_numbers_pass(file, entry, valid, shape):
    numbers_ = [canonical(n) for n in _jkeen(file, entry)["valid"]]
    assert numbers_
    assert all(valid(n) for n in numbers_), [n for n in numbers_ if not valid(n)]


@pytest.mark.parametrize(("file", "entry", "valid", "shape"), JKEEN_CASES)
def test_jkeen_invalid_numbers_fail_shape_or_check(file, entry, valid, shape):
    import re

    invalid = [canonical(n) for n in _jkeen(file, entry)["invalid"]]
    # Some jkeen invalid samples are wrong by shape (2Z…, country XX), not by check digit.
    wrong_check = [n for n in invalid if re.fullmatch(shape, n) and not n.endswith("XX")]
    assert not any(valid(n) for n in wrong_check), wrong_check


def test_luhn_and_gb11643():
    assert ck.luhn_valid("4111111111111111")
    assert not ck.luhn_valid("4111111111111112")
    assert ck.gb11643_valid("11010519491231002X")
    assert not ck.gb11643_valid("110105194912310021")
