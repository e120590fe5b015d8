"""Check-digit algorithms for waybill numbers and for the look-alikes we must reject.

Each ``*_valid`` function takes the canonical string (upper case, no separators) of the shape
its rule matched and returns whether the check digit holds. Sources: SF and China Post domestic
from docs/waybills.md §1.1-1.2; UPS, FedEx, DHL, USPS and UPU S10 from jkeen/tracking_number_data
(MIT); OnTrac and Canada Post from the same (read, restated); Yamato/Sagawa/Japan Post mod 7
from the carriers' published number rules; Luhn (ISO/IEC 7812), GB 11643 (PRC resident ID) and
GB 32100 (unified social credit code) from their standards.
"""

from __future__ import annotations

_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_FEDEX12_WEIGHTS = (3, 1, 7) * 4
_FEDEX34_WEIGHTS = (1, 7, 3) * 5
_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECKS = "10X98765432"
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _digit_value(ch: str) -> int:
    """Digit value; letters map to (ord - 3) mod 10 as in the UPS scheme."""
    return int(ch) if ch.isdigit() else (ord(ch) - 3) % 10


def mod10(sequence: str, check: str, evens: int, odds: int) -> bool:
    """jkeen 'mod10': weight even (0-based) positions by ``evens``, odd by ``odds``."""
    total = 0
    for i, ch in enumerate(sequence):
        total += _digit_value(ch) * (odds if i % 2 else evens)
    expected = (10 - total % 10) % 10
    return check.isdigit() and expected == int(check)


def weighted_mod11_mod10(sequence: str, check: str, weights: tuple[int, ...]) -> bool:
    """jkeen 'sum_product_with_weightings_and_modulo' with modulo 11 then 10 (FedEx)."""
    total = sum(int(d) * w for d, w in zip(sequence, weights, strict=False))
    return total % 11 % 10 == int(check)


def sf_valid(number: str) -> bool:
    """SF Express: weights 1,3,5,… from the right of d[3:-1], digit sums, mod 10 (§1.1)."""
    digits = number[2:] if number.startswith("SF") else number
    serial = digits[3:-1]
    total = 0
    for i, ch in enumerate(reversed(serial)):
        product = int(ch) * (2 * i + 1)
        total += product // 10 % 10 + product % 10
    return (10 - total % 10) % 10 == int(digits[-1])


def s10_check_digit(serial: str) -> int:
    """UPU S10 check digit of an 8-digit serial."""
    remainder = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    return 0 if check == 10 else 5 if check == 11 else check


def s10_valid(number: str) -> bool:
    """UPU S10 item id: 2 letters, 8-digit serial, check digit, 2-letter country."""
    return s10_check_digit(number[2:10]) == int(number[10])


def china_post13_valid(number: str) -> bool:
    """China Post / EMS 13-digit domestic: digit 11 is the S10 check of digits 3-10 (§1.2)."""
    return s10_check_digit(number[2:10]) == int(number[10])


def ups_valid(number: str) -> bool:
    """UPS 1Z: mod 10 over the 15 characters after '1Z', odd positions doubled."""
    return mod10(number[2:17], number[17], evens=1, odds=2)


def ups_waybill_valid(number: str) -> bool:
    """UPS waybill [AHJKTV] + 9 digits + check: same mod 10 over the digits."""
    return mod10(number[1:10], number[10], evens=1, odds=2)


def fedex12_valid(number: str) -> bool:
    """FedEx Express 12 digits: weights 3,1,7 from the left, mod 11 mod 10."""
    return weighted_mod11_mod10(number[:11], number[11], _FEDEX12_WEIGHTS)


def fedex34_valid(number: str) -> bool:
    """FedEx Express 34 digits: serial is digits 21-33, weights 1,7,3, mod 11 mod 10."""
    return weighted_mod11_mod10(number[20:33], number[33], _FEDEX34_WEIGHTS)


def fedex_ground15_valid(number: str) -> bool:
    """FedEx Ground 15 digits: mod 10 with odd (0-based) positions ×3."""
    return mod10(number[:14], number[14], evens=1, odds=3)


def fedex_ground96_valid(number: str) -> bool:
    """FedEx Ground 96 (22 digits): mod 10 ×3 over shipper + package id (digits 8-21)."""
    return mod10(number[7:21], number[21], evens=1, odds=3)


def sscc18_valid(number: str) -> bool:
    """SSCC-18 (FedEx Ground): mod 10 over digits 3-17, even (0-based) positions ×3."""
    return mod10(number[2:17], number[17], evens=3, odds=1)


def dhl_valid(number: str) -> bool:
    """DHL Express 10/11 digits: serial mod 7 is the last digit."""
    return int(number[:-1]) % 7 == int(number[-1])


def usps20_valid(number: str) -> bool:
    """USPS 20 digits: mod 10 with even (0-based) positions ×3, as is or behind a '91'."""
    return mod10(number[:19], number[19], evens=3, odds=1) or mod10(
        "91" + number[:19], number[19], evens=3, odds=1
    )


def usps_impb_valid(number: str) -> bool:
    """USPS IMpb / legacy (91-95 + 20 or 24 digits, optional 420+ZIP prefix): GS1 mod 10."""
    serial = number
    if number.startswith("420"):
        for zip_len in (5, 9):
            rest = number[3 + zip_len :]
            if rest[:2] in ("91", "92", "93", "94", "95") and len(rest) in (22, 26):
                serial = rest
                break
    return mod10(serial[:-1][::-1], serial[-1], evens=3, odds=1)


def ontrac_valid(number: str) -> bool:
    """OnTrac C/D + 14 digits: mod 10 (odd positions ×2) over the serial with 4 (C) or 5 (D)
    in place of the letter (jkeen ``prepend_if``)."""
    lead = "4" if number[0] == "C" else "5"
    return mod10(lead + number[1:14], number[14], evens=1, odds=2)


def fedex_astra_valid(number: str) -> bool:
    """FedEx ASTRA 32 digits: the 11-digit serial at 16-26 and its check (3,1,7 weights)."""
    return weighted_mod11_mod10(number[16:27], number[27], _FEDEX12_WEIGHTS)


def dpd_valid(number: str) -> bool:
    """DPD 14 digits + a check character: ISO 7064 MOD 37,36 over the digits (jkeen)."""
    product = 36
    for ch in number[:-1]:
        total = (product + _ALNUM.index(ch)) % 36 or 36
        product = total * 2 % 37
    return _ALNUM[(37 - product) % 36] == number[-1]


def canpost16_valid(number: str) -> bool:
    """Canada Post 16 digits: mod 10 with even (0-based) positions ×3 (jkeen)."""
    return mod10(number[:15], number[15], evens=3, odds=1)


def mod7_valid(number: str) -> bool:
    """Yamato, Sagawa and Japan Post 12-digit numbers: the last digit is the rest mod 7."""
    return int(number[:-1]) % 7 == int(number[-1])


def luhn_valid(number: str) -> bool:
    """Luhn (bank cards, IMEI)."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        value = int(ch)
        if i % 2:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return total % 10 == 0


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_valid(number: str) -> bool:
    """Unified social credit code (tax number, GB 32100-2015): mod-31 check character."""
    if len(number) != 18 or any(ch not in _USCC_ALPHABET for ch in number):
        return False
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(number, _USCC_WEIGHTS, strict=False))
    return _USCC_ALPHABET[(31 - total % 31) % 31] == number[17]


def gb11643_valid(number: str) -> bool:
    """PRC resident ID (GB 11643-1999): ISO 7064 MOD 11-2 over 17 digits."""
    total = sum(int(d) * w for d, w in zip(number[:17], _GB11643_WEIGHTS, strict=True))
    return _GB11643_CHECKS[total % 11] == number[17]
