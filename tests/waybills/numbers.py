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
