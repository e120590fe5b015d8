"""Makers of invented, checksum-valid numbers for tests (never real waybills)."""

from __future__ import annotations

from bot.waybills import checksums as ck


def with_check(body: str, valid) -> str:
    """Append the check digit 0-9 that makes ``valid(body + d)`` true."""
    for digit in "0123456789":
        if valid(body + digit):
            return body + digit
    raise ValueError(f"no check digit for {body}")


def sf(body12: str) -> str:
    """SF + 13 digits from a 12-digit body."""
    return "SF" + with_check(body12, ck.sf_valid)


def sf_legacy(body11: str) -> str:
    """Bare 12-digit SF number."""
    return with_check(body11, ck.sf_valid)


def china_post13(body10: str, tail2: str = "12") -> str:
    """13-digit EMS number: 10 digits, S10 check, 2 more digits."""
    return body10 + str(ck.s10_check_digit(body10[2:10])) + tail2


def s10(service: str, serial8: str, country: str) -> str:
    """UPU S10 item id."""
    return f"{service}{serial8}{ck.s10_check_digit(serial8)}{country}"


def fedex12(body11: str) -> str:
    """FedEx Express 12 digits."""
    return with_check(body11, ck.fedex12_valid)


def ups(body15: str) -> str:
    """UPS 1Z number from 15 characters after 1Z."""
    return with_check("1Z" + body15, ck.ups_valid)


def usps22(body21: str) -> str:
    """USPS IMpb 22 digits (body starts 92-95)."""
    return with_check(body21, ck.usps_impb_valid)


def dhl10(body9: str) -> str:
    """DHL Express 10 digits."""
    return body9 + str(int(body9) % 7)


def luhn(body: str) -> str:
    """Body + Luhn check digit."""
    return with_check(body, ck.luhn_valid)


def id_card(body17: str) -> str:
    """PRC ID number with a GB 11643 check character."""
    for ch in "0123456789X":
        if ck.gb11643_valid(body17 + ch):
            return body17 + ch
    raise ValueError(body17)


def _mod10(body: str, evens: int, odds: int) -> str:
    """Check digit of a mod-10 scheme weighting even (0-based) positions ``evens``."""
    total = sum(int(d) * (odds if i % 2 else evens) for i, d in enumerate(body))
    return str((10 - total % 10) % 10)


def ontrac_check(letter: str, serial13: str) -> str:
    """OnTrac C/D: 13 digits + mod 10 (odd positions ×2) over the serial with 4/5 in front."""
    return serial13 + _mod10(("4" if letter == "C" else "5") + serial13, 1, 2)


def canpost16(body15: str) -> str:
    """Canada Post 16 digits: mod 10 with even positions ×3."""
    return body15 + _mod10(body15, 3, 1)


def mod7(body: str) -> str:
    """Body + (body mod 7): Yamato, Sagawa, Japan Post; Korea's CJ, Lotte, Hanjin, Logen."""
    return body + str(int(body) % 7)


def fedex96(body21: str) -> str:
    """FedEx Ground 96 (22 digits)."""
    return with_check(body21, ck.fedex_ground96_valid)


def fedex34(body33: str) -> str:
    """FedEx Express 34 digits."""
    return with_check(body33, ck.fedex34_valid)


def dhl_ecom_impb(prefix8: str, body19: str) -> str:
    """A 420+ZIP routed IMpb (30 digits) as DHL eCommerce prints them: 92 + 19 + check."""
    return prefix8 + with_check("92" + body19, ck.usps_impb_valid)


def usps20(body19: str) -> str:
    """USPS 20 digits."""
    return with_check(body19, ck.usps20_valid)


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(body17: str) -> str:
    """Unified social credit code (GB 32100-2015): 17 characters + a mod-31 check."""
    total = sum(_USCC_ALPHABET.index(ch) * pow(3, i, 31) for i, ch in enumerate(body17))
    return body17 + _USCC_ALPHABET[(31 - total % 31) % 31]


def s10_wrong(service: str, serial8: str, country: str) -> str:
    """An S10 id whose check digit is wrong (what a validator rejects)."""
    return f"{service}{serial8}{(ck.s10_check_digit(serial8) + 3) % 10}{country}"


def ups_wrong(body15: str) -> str:
    """A 1Z number whose check digit is wrong."""
    good = ups(body15)
    return good[:-1] + str((int(good[-1]) + 4) % 10)
