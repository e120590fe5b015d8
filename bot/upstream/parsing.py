"""Tolerant parsing of the vendor's answers into `TrackResult`, and of its refusal messages.

The vendor documents `time` as "2022-10-27 19:18:40" but sources differ, so times are read
from several shapes (dashes or slashes, with or without seconds, ISO 8601 with a zone, epoch
seconds or milliseconds). A time without a zone is China time (Asia/Shanghai). Every returned
datetime is timezone-aware; an unreadable time becomes None rather than an error.

Event order: the result lists timed events newest first, and events without a time after
them. Ties and untimed events keep the upstream's order, read newest first: when the
upstream's list runs oldest first (its first timed event is older than its last) it is
reversed before sorting, so an untimed scan stays beside its neighbours' direction.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.clock import CHINA_TZ
from bot.models import TrackingEvent
from bot.tracking import Status, TrackResult
from bot.upstream.errors import (
    BusinessError,
    InvalidNumber,
    PhoneRequired,
    UnexplainedRefusal,
)

_DATE_TIME = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.(\d{1,6}))?)?秒?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
# Plausible epoch range (2000-01-01 … 2100-01-01) keeps stray integers from becoming dates.
_EPOCH_MIN, _EPOCH_MAX = 946_684_800, 4_102_444_800

# "客服电话" (customer-service hotline) in a refusal is not a request for the user's phone.
_PHONE_HINTS = re.compile(
    r"手机|(?<!客服)电话|尾号|后四位|后4位|(?<![a-z])tel(?![a-z])|phone|mobile", re.IGNORECASE
)
_INVALID_HINTS = re.compile(
    r"单号(?:不正确|错误|有误|无效|不存在|不合法)|格式|无效|不合法|invalid", re.IGNORECASE
)


def coerce_int(value: object, default: int = 0) -> int:
    """Read an int that may arrive as a number, a numeric string, or garbage (→ `default`)."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        try:
            return int(float(str(value).strip()))
        except (TypeError, ValueError):
            return default


def parse_time(value: Any) -> datetime | None:
    """A timezone-aware datetime from a vendor time field, or None if unreadable or absent."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", text):
        return _from_epoch(float(text))
    match = _DATE_TIME.match(text)
    if match is None:
        return _from_iso(text)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        return None
    if zone:
        return _from_iso(moment.isoformat() + ("+00:00" if zone == "Z" else _colon(zone)))
    return moment.replace(tzinfo=CHINA_TZ)


def _colon(zone: str) -> str:
    """'+0800' → '+08:00' (fromisoformat in 3.11 accepts both, but be explicit)."""
    return zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"


def _from_epoch(seconds: float) -> datetime | None:
    if seconds > _EPOCH_MAX:  # milliseconds
        seconds /= 1000
    if not _EPOCH_MIN <= seconds <= _EPOCH_MAX:
        return None
    return datetime.fromtimestamp(seconds, UTC).astimezone(CHINA_TZ)


def _from_iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def parse_events(data: Any) -> tuple[TrackingEvent, ...]:
    """Events from the vendor's `data` list (null, non-list or odd items tolerated)."""
    if not isinstance(data, list):
        return ()
    events = []
    for item in data:
        if not isinstance(item, dict):
            continue
        raw_text = item.get("content", item.get("context"))
        text = "" if raw_text is None else str(raw_text).strip()
        when = parse_time(item.get("time", item.get("ftime")))
        if text or when:
            events.append(TrackingEvent(time=when, text=text))
    return order_events(events)


def order_events(events: list[TrackingEvent]) -> tuple[TrackingEvent, ...]:
    """Newest first; untimed events last; see the module docstring for ties."""
    timed = [e for e in events if e.time is not None]
    if len(timed) >= 2 and timed[0].time < timed[-1].time:  # type: ignore[operator]
        events = events[::-1]
    with_time = sorted(
        (e for e in events if e.time is not None),
        key=lambda e: e.time,  # type: ignore[arg-type, return-value]
        reverse=True,
    )
    return (*with_time, *(e for e in events if e.time is None))


def parse_track_response(data: dict, number: str) -> TrackResult:
    """A `TrackResult` from a successful track answer (`ok` = 1).

    `number` is the number asked for (the vendor masks `kddh`). The carrier code is unknown
    here (the vendor returns only a name) and is left empty for the client to fill in.
    """
    status = Status.coerce(coerce_int(data.get("status"), 0))
    return TrackResult(
        number=number,
        carrier_code="",
        carrier_name=str(data.get("kdmc") or "").strip(),
        status=status,
        events=parse_events(data.get("data")),
        message=str(data.get("msg") or "").strip(),
    )


def business_error(msg: Any, request_id: str | None = None) -> BusinessError:
    """The right error for a vendor refusal: phone needed, bad number, or other."""
    text = str(msg or "").strip()
    if not text:
        return UnexplainedRefusal("", request_id=request_id)
    if _PHONE_HINTS.search(text):
        return PhoneRequired(text, request_id=request_id)
    if _INVALID_HINTS.search(text):
        return InvalidNumber(text, request_id=request_id)
    return BusinessError(text, request_id=request_id)
