"""Parsing of track answers: odd times and fields, event order, refusal messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.tracking import Status
from bot.upstream import (
    BusinessError,
    InvalidNumber,
    PhoneRequired,
    UnexplainedRefusal,
    parse_time,
    parse_track_response,
)
from bot.upstream.parsing import business_error, coerce_int

CST = timezone(timedelta(hours=8))
EXPECTED = datetime(2022, 10, 27, 19, 18, 40, tzinfo=CST)


@pytest.mark.parametrize(
    "raw",
    [
        "2022-10-27 19:18:40",
        "2022/10/27 19:18:40",
        " 2022-10-27 19:18:40 ",
        "2022-10-27T19:18:40+08:00",
        "2022-10-27T11:18:40Z",
        "2022-10-27 11:18:40+0000",
        "2022年10月27日 19:18:40",
        1666869520,
        "1666869520",
        1666869520000,
        "1666869520000",
        1666869520.0,
    ],
)
def test_time_formats_are_the_same_moment(raw):
    parsed = parse_time(raw)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed == EXPECTED


def test_time_without_zone_is_china_time_and_minutes_only_work():
    parsed = parse_time("2022/1/5 9:03")
    assert parsed == datetime(2022, 1, 5, 9, 3, tzinfo=CST)
    assert parsed.utcoffset() == timedelta(hours=8)
    assert parse_time("2022-10-27") == datetime(2022, 10, 27, tzinfo=CST)


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "yesterday", "2022-13-45 10:00", 12, True, [], {}, "99999999999999"]
)
def test_unreadable_times_become_none(raw):
    assert parse_time(raw) is None


@pytest.mark.parametrize(("raw", "expected"), [(1, 1), ("1", 1), (" 2 ", 2), ("2.0", 2)])
def test_coerce_int_reads_numbers_and_strings(raw, expected):
    assert coerce_int(raw) == expected


def test_coerce_int_falls_back_on_garbage():
    assert coerce_int(None, 7) == 7
    assert coerce_int("abc") == 0


def _answer(data, status="2"):
    return {"ok": "1", "msg": "查询成功", "status": status, "kdmc": "中通快递", "data": data}


def test_parse_track_response_reads_the_vendor_example():
    data = _answer(
        [
            {"time": "2022-10-27 19:18:40", "content": "【泉州市】快件离开【福建营销部】"},
            {"time": "2022-10-27 19:13:12", "content": "【泉州市】已揽收"},
        ]
    )
    result = parse_track_response(data, "78627000758")
    assert result.number == "78627000758"
    assert result.status is Status.IN_TRANSIT
    assert result.carrier_name == "中通快递"
    assert result.message == "查询成功"
    assert [e.text for e in result.events] == [
        "【泉州市】快件离开【福建营销部】",
        "【泉州市】已揽收",
    ]
    assert result.latest_time == EXPECTED
    assert result.demo is False


@pytest.mark.parametrize("data", [None, "", {}, "[]", 5])
def test_null_or_odd_data_gives_no_events(data):
    result = parse_track_response(_answer(data, status=1), "YT1")
    assert result.events == ()
    assert result.status is Status.NO_RECORD


def test_odd_items_are_tolerated():
    data = _answer(
        [
            None,
            "garbage",
            {"time": "2022-10-27 19:18:40", "content": 12345},
            {"time": "2022-10-27 19:10:00"},
            {"content": None, "time": None},
            {"ftime": "2022-10-27 19:00:00", "context": "alternative keys"},
        ]
    )
    result = parse_track_response(data, "N1")
    assert [(e.time is not None, e.text) for e in result.events] == [
        (True, "12345"),
        (True, ""),
        (True, "alternative keys"),
    ]


def test_events_sorted_newest_first_from_oldest_first_input_with_untimed_last():
    data = _answer(
        [
            {"time": "2022-10-27 08:00:00", "content": "a"},
            {"time": None, "content": "untimed-1"},
            {"time": "2022-10-27 10:00:00", "content": "c"},
            {"time": "2022-10-27 10:00:00", "content": "c2"},
            {"time": "bad", "content": "untimed-2"},
            {"time": "2022-10-27 12:00:00", "content": "e"},
        ]
    )
    texts = [e.text for e in parse_track_response(data, "N").events]
    # Input runs oldest first, so it is read reversed: the later tie (c2) is the newer one.
    assert texts == ["e", "c2", "c", "a", "untimed-2", "untimed-1"]


def test_events_keep_upstream_newest_first_order_for_ties():
    data = _answer(
        [
            {"time": "2022-10-27 12:00:00", "content": "newest"},
            {"time": "2022-10-27 10:00:00", "content": "tie-first"},
            {"time": "2022-10-27 10:00:00", "content": "tie-second"},
            {"time": "2022-10-27 08:00:00", "content": "oldest"},
        ]
    )
    texts = [e.text for e in parse_track_response(data, "N").events]
    assert texts == ["newest", "tie-first", "tie-second", "oldest"]


def test_mixed_zones_sort_by_instant():
    data = _answer(
        [
            {"time": "2022-10-27T03:00:00Z", "content": "11:00 China"},
            {"time": "2022-10-27 10:00:00", "content": "10:00 China"},
        ]
    )
    events = parse_track_response(data, "N").events
    assert [e.text for e in events] == ["11:00 China", "10:00 China"]
    assert events[0].time == datetime(2022, 10, 27, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("msg", "kind"),
    [
        ("顺丰快递需要提供手机尾号后四位", PhoneRequired),
        ("请输入收件人电话后4位", PhoneRequired),
        ("请传入tel参数", PhoneRequired),
        ("快递单号格式不正确", InvalidNumber),
        ("单号不正确，请核对", InvalidNumber),
        ("无效单号", InvalidNumber),
        ("请传入快递单号【kddh字段】", BusinessError),
        ("查询失败，请联系客服电话", BusinessError),
        ("", UnexplainedRefusal),
        ("  ", UnexplainedRefusal),
    ],
)
def test_business_error_classification(msg, kind):
    error = business_error(msg, "req-1")
    assert type(error) is kind
    assert error.msg == msg.strip()
    assert error.request_id == "req-1"
