"""A carrier's display name in the chat's language.

The registry (kuaidi100's table) names carriers in Chinese; English readers get the brand
name the carrier uses abroad when the registry knows one (an alias such as "YTO Express",
"DHL Express", a Latin name in brackets, an all-Latin name such as "EMS"), else the carrier's
pinyin code made readable ("debangwuliu" → "Debang Logistics"). Never Chinese characters in
an English sentence.
"""

from __future__ import annotations

import re

from bot.carriers.registry import Carrier

_LATIN = re.compile(r"[A-Za-z]")
_BRACKETED = re.compile(r"[（(]\s*([A-Za-z][A-Za-z0-9 .&'/-]*[A-Za-z.])\s*[)）]")
_LEADING = re.compile(r"([A-Za-z][A-Za-z0-9 .&]*)[-－·]")
#: Pinyin endings of kuaidi100 codes and the English word for them.
_SUFFIXES = (
    ("kuaiyun", "Freight"),
    ("wuliu", "Logistics"),
    ("kuaidi", "Express"),
    ("suyun", "Express"),
    ("sudi", "Express"),
    ("guoji", "International"),
)


def display_name(carrier: Carrier, language: str, *, short: bool = False) -> str:
    """The name to show: Chinese (short form when `short`), or the English name."""
    if language.startswith("en"):
        return english_name(carrier)
    return (carrier.short_name or carrier.name) if short else carrier.name


def english_name(carrier: Carrier) -> str:
    """The carrier's English name (see the module docstring for the order tried)."""
    latin = [a for a in carrier.aliases if a.isascii() and _LATIN.search(a)]
    branded = next((a for a in latin if " " in a.strip() and any(c.islower() for c in a)), None)
    if branded:
        return branded
    word = next((a for a in latin if a[:1].isupper() and not a.isupper() and len(a) > 3), None)
    if word:
        return word
    bracketed = _BRACKETED.search(carrier.name)
    if bracketed:
        return bracketed.group(1)
    if carrier.name.isascii() and _LATIN.search(carrier.name):
        return carrier.name
    leading = _LEADING.match(carrier.name)  # "DHL-全球件" → "DHL"
    return leading.group(1).strip() if leading else romanised(carrier.code)


def romanised(code: str) -> str:
    """A pinyin code as words: "debangwuliu" → "Debang Logistics", "subida" → "Subida"."""
    for ending, word in _SUFFIXES:
        if code.endswith(ending) and len(code) > len(ending):
            return f"{code[: -len(ending)].capitalize()} {word}"
    return code.capitalize()
