"""Numbers that look like waybills but are not: phones, ids, cards, orders, dates, codes.

``classify`` looks at a candidate span (its canonical string and the groups it was typed in)
and returns ``(kind, penalty)``. A penalty of ``BLOCK`` means "never a waybill, and do not look
for a waybill inside it either" (a mobile number, an ID card number, a dated order number).
Smaller penalties lower the confidence of digit-only candidates when nothing in the message says
"waybill"; they are about formats that collide by chance (IMEI vs Yunda, timestamps vs DHL).
"""

from __future__ import annotations

import re

from bot.waybills.checksums import gb11643_valid, luhn_valid, uscc_valid

BLOCK = 1.0

_MOBILE = re.compile(r"(?:0086|86)?1[3-9]\d{9}")
_ID_CARD = re.compile(
    r"[1-8]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]"
)
_HOTLINE = re.compile(r"(?:400|800)\d{7}")
_AREA_CODE = re.compile(r"0\d{2,3}")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_IMEI_TAC = ("01", "35", "86", "99")
# Card issuers' leading digits (BIN): UnionPay 62, Visa 4, Mastercard 51-55/22-27, Amex 34/37,
# JCB 35, Discover 60/64/65. A Luhn-valid 16-19 digit number with one is a bank card.
_CARD_BIN = re.compile(r"(?:62|4|5[1-5]|2[2-7]|3[457]|6[045])")
# Unified social credit codes (tax numbers) of enterprises and institutions, digit-only form.
_USCC_DIGITS = re.compile(r"[159][1-3]\d{16}")
LANDLINE_PENALTY = 0.5
PLACEHOLDER_RUN = 9
SAME_DIGIT_RUN = 7
#: An unlabelled 16-19 digit number typed whole: an e-commerce order number more often than not.
ORDER_PENALTY = 0.3
ORDER_MIN_LENGTH = 17  # Taobao's are 18-19; 16 digits are Canada Post's too
_CLOCK = re.compile(r"(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?")
_TIMESTAMP_S = re.compile(r"1[3-9]\d{8}")
_TIMESTAMP_MS = re.compile(r"1[3-9]\d{11}")
_DATETIME_14 = re.compile(
    r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[0-2]\d[0-5]\d[0-5]\d"
)


def _is_yymmdd(group: str) -> bool:
    return (
        len(group) == 6
        and group.isdigit()
        and 1 <= int(group[2:4]) <= 12
        and (1 <= int(group[4:6]) <= 31)
    )


def _is_date_groups(groups: list[str]) -> bool:
    """YYYY-MM-DD (or with '.', ' ') possibly followed by time groups (14 30 45, 1430).

    Only time-shaped groups belong to the date: "2026-11-29 771234567890123" is a date and
    then a waybill, not one long date.
    """
    if len(groups) < 3 or not _YEAR.fullmatch(groups[0]):
        return False
    month, day, time = groups[1], groups[2], groups[3:]
    return (
        month.isdigit()
        and day.isdigit()
        and len(month) <= 2
        and len(day) <= 2
        and 1 <= int(month) <= 12
        and 1 <= int(day) <= 31
        and _is_time_groups(time)
    )


def _is_time_groups(groups: list[str]) -> bool:
    """Nothing, HH MM [SS] in groups of up to 2 digits, or one HHMM[SS] group."""
    if len(groups) == 1 and len(groups[0]) in (4, 6):
        return _CLOCK.fullmatch(groups[0]) is not None
    return len(groups) <= 3 and all(len(g) <= 2 for g in groups)


def _is_landline_groups(groups: list[str]) -> bool:
    """Area code then the subscriber number: 0512-61460361, 021 6438 5086, 010-6848-3903."""
    if len(groups) < 2 or not _AREA_CODE.fullmatch(groups[0]):
        return False
    rest = groups[1:]
    subscriber = "".join(rest)
    if not subscriber.isdigit() or len(subscriber) not in (7, 8):
        return False
    # 4-4-4 grouping is how SF legacy numbers (area-code prefixed) are typed too: context decides.
    return len(rest) == 1 or (len(groups[0]) == 3 and [len(g) for g in rest] == [4, 4])


def is_placeholder(number: str) -> bool:
    """Digits counting up for 9 places ("1234567890") or one digit repeated 7 times
    ("10000000000"): an example or a dummy, not a number someone was given."""
    digits = "".join(ch for ch in number if ch.isdigit())
    up = same = 1
    for a, b in zip(digits, digits[1:], strict=False):
        up = up + 1 if int(b) == (int(a) + 1) % 10 else 1
        same = same + 1 if a == b else 1
        if up >= PLACEHOLDER_RUN or same >= SAME_DIGIT_RUN:
            return True
    return False


def classify(number: str, groups: list[str]) -> tuple[str, float] | None:
    """Kind and penalty of a look-alike, or None. ``groups`` are the typed groups."""
    if not number.isdigit():
        return _classify_alnum(number)
    if _MOBILE.fullmatch(number):
        return "mobile", BLOCK
    if len(groups) > 1 and _MOBILE.fullmatch("".join(groups[1:])) and groups[0] in ("86", "0086"):
        return "mobile", BLOCK
    if _is_date_groups(groups):
        return "date", BLOCK
    if _is_landline_groups(groups):
        return "landline", BLOCK
    if len(groups) > 1 and _AREA_CODE.fullmatch(groups[0]) and 10 <= len(number) <= 12:
        return "landline", LANDLINE_PENALTY  # or an SF number typed after its area code
    if _HOTLINE.fullmatch(number):
        return "hotline", BLOCK
    if len(groups) >= 2 and _is_yymmdd(groups[0]) and len("".join(groups[1:])) >= 10:
        return "dated_order", BLOCK
    if [len(g) for g in groups] == [3, 7, 7]:
        return "order_number", BLOCK  # Amazon's order ids: 3-7-7 digits
    return _classify_digits(number, groups)


def _classify_alnum(number: str) -> tuple[str, float] | None:
    """Letter-bearing look-alikes: an ID card ending in X, a tax number (USCC)."""
    if len(number) == 18 and _ID_CARD.fullmatch(number) and gb11643_valid(number):
        return "id_card", BLOCK
    if len(number) == 18 and uscc_valid(number):
        return "tax_number", BLOCK
    return None


def _classify_digits(number: str, groups: list[str]) -> tuple[str, float] | None:
    """Digit-only look-alikes judged on the whole string."""
    size = len(number)
    if size == 18 and _ID_CARD.fullmatch(number) and gb11643_valid(number):
        return "id_card", BLOCK
    if size == 18 and _USCC_DIGITS.fullmatch(number) and uscc_valid(number):
        return "tax_number", BLOCK
    if 16 <= size <= 19 and not number.startswith("00"):
        # Bank cards (Luhn and an issuer's BIN, or Luhn in groups of 4) and e-commerce order
        # numbers (Taobao 18-19 digits, typed whole: only a penalty, a waybill label wins).
        # Other groupings may be a waybill followed by a phone tail.
        if luhn_valid(number) and (
            _CARD_BIN.match(number) or all(len(g) == 4 for g in groups[:-1])
        ):
            return "bank_card", BLOCK
        if len(groups) == 1 and size >= ORDER_MIN_LENGTH:
            return "order_number", ORDER_PENALTY
    if size == 15 and number.startswith(_IMEI_TAC) and luhn_valid(number):
        return "imei", 0.45
    if size == 14 and _DATETIME_14.fullmatch(number):
        return "datetime", 0.5
    if size == 13 and _TIMESTAMP_MS.fullmatch(number):
        return "timestamp", 0.4
    if size == 10 and _TIMESTAMP_S.fullmatch(number):
        return "timestamp", 0.3
    return None
