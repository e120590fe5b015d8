"""A decoded barcode's text → waybills, through the same detection as typed text.

A 1D or 2D code whose whole content is one number-like token is strong intent by itself: a
label's barcode *is* the waybill number, so it is detected as if a waybill label stood before
it (``运单号 …``, detection's strongest context): a bare 12-digit JD number or an 18-digit
YTO number that looks like a card number gets through where typed text would need a word.
Detection still refuses what no label turns into a waybill (mobile numbers, failed check
digits, placeholders). Retail codes (EAN/UPC on the goods themselves) carry no such intent:
only a number a carrier's format recognises is taken from them. Structured payloads (a
tracking URL, JSON, ``key=value`` lines) are split into fields; a field whose key names a
waybill (``mailNo``, ``nu``, ``waybill``…) is labelled, other fields must look like a waybill
on their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

from bot.waybills import Waybill, find_waybills
from bot.waybills.learned import Learned

#: zxing-cpp format names of codes printed on goods, not on shipping labels.
RETAIL = frozenset({"EAN13", "EAN8", "UPCA", "UPCE", "ITF14", "ISBN"})
#: Keys of a payload field that hold a waybill number, folded (lower case, no _ or -).
WAYBILL_KEYS = frozenset(
    {
        "nu",
        "num",
        "waybill",
        "waybillno",
        "waybillnumber",
        "waybillcode",
        "mailno",
        "mailnum",
        "billcode",
        "billno",
        "trackingno",
        "trackingnumber",
        "tracking",
        "trackno",
        "trackingid",
        "expressno",
        "expressnumber",
        "logisticno",
        "logisticsno",
        "postid",
        "awb",
        "shipmentid",
        "运单号",
        "快递单号",
        "单号",
        "运单编号",
    }
)
#: Detection's strongest context (bot.waybills.context.LABELS).
LABEL = "运单号"
_TOKEN = re.compile(r"[\w-]{1,60}")
_KEY_VALUE = re.compile(r"^\s*([^\s=:：]{1,30})\s*[=:：]\s*(\S.*?)\s*$")
_MAX_FIELDS = 50


def waybills_in_code(text: str, fmt: str, learned: Learned | None = None) -> list[Waybill]:
    """Waybills in one decoded barcode's ``text``; ``fmt`` is zxing-cpp's format name."""
    text = text.strip()
    if not text:
        return []
    if fmt in RETAIL:
        return find_waybills(text, alone=True, learned=learned)
    if _TOKEN.fullmatch(text):
        return _labelled(text, learned)
    found: dict[str, Waybill] = {}
    for key, value in _fields(text):
        if _fold_key(key) in WAYBILL_KEYS:
            waybills = _labelled(value, learned)
        else:
            waybills = find_waybills(value, alone=True, learned=learned)
        for waybill in waybills:
            found.setdefault(waybill.number, waybill)
    return list(found.values())


def _labelled(value: str, learned: Learned | None) -> list[Waybill]:
    """Detection of ``value`` as if a waybill label stood right before it."""
    return find_waybills(f"{LABEL} {value}", alone=True, asked=True, learned=learned)


def _fold_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _fields(text: str) -> list[tuple[str, str]]:
    """(key, value) pairs of a structured payload; ("", text) when it has no structure."""
    fields = list(_url_fields(text) or _json_fields(text) or _line_fields(text))
    return fields[:_MAX_FIELDS] or [("", text)]


def _url_fields(text: str) -> list[tuple[str, str]]:
    """Query and fragment parameters and path segments of a URL (``?nu=…``, ``/t/JT…``)."""
    if "://" not in text[:12] or any(ch.isspace() for ch in text):
        return []
    parts = urlsplit(text)
    fields = [("", segment) for segment in parts.path.split("/") if segment]
    for query in (parts.query, parts.fragment):
        fields.extend(parse_qsl(query.lstrip("/?"), keep_blank_values=False))
    return fields


def _json_fields(text: str) -> list[tuple[str, str]]:
    """Scalar leaves of a JSON object or array, keyed by their nearest key."""
    if text[0] not in "{[":
        return []
    try:
        return list(_leaves(json.loads(text), ""))
    except (ValueError, RecursionError):
        return []


def _leaves(node, key: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for child_key, child in node.items():
            yield from _leaves(child, str(child_key))
    elif isinstance(node, list):
        for child in node:
            yield from _leaves(child, key)
    elif isinstance(node, str | int) and not isinstance(node, bool):
        yield key, str(node)


def _line_fields(text: str) -> list[tuple[str, str]]:
    """``key=value`` / ``key:value`` lines; lines without a key stay whole, keyless."""
    fields = []
    for line in text.splitlines():
        match = _KEY_VALUE.match(line)
        fields.append((match[1], match[2]) if match else ("", line))
    return fields
