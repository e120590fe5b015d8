"""The pure parts: the schedule, change detection, the budget's pace and quiet hours."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import CHINA_TZ
from bot.models import TrackingEvent
from bot.subscriptions.budget import calls_left, pace_for
from bot.subscriptions.changes import Baseline, diff, merge
from bot.subscriptions.pushes import QuietHours
from bot.subscriptions.schedule import (
    STOP_NO_RECORD,
    STOP_STALE,
    Policy,
    PollState,
    next_poll_at,
    stop_reason,
)
from bot.tracking import Status, TrackResult


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=CHINA_TZ)


def state(status=Status.IN_TRANSIT, *, at=None, text="快件离开【泉州中转部】", created=None):
    at = at or local(1, 7)
    return PollState(status, created or local(1, 6), at, at, text, has_events=True)


def test_final_and_stops():
    now = local(1, 9)
    for final in (Status.DELIVERED, Status.RETURNED, Status.INVALID):
        assert next_poll_at(state(final), now, random.Random(1)) is None
    empty = PollState(Status.NO_RECORD, local(1, 6), None, local(1, 6))
    assert stop_reason(empty, local(4, 5)) is None
    assert stop_reason(empty, local(4, 6)) == STOP_NO_RECORD
    assert stop_reason(state(), local(12, 8)) == STOP_STALE


def test_never_sooner_than_min_interval_and_jitter_spreads():
    rng = random.Random(7)
    policy = Policy(min_interval=1800)
    cases = [state(Status.OUT_FOR_DELIVERY), state(), state(text="快件已到达【西湖营业部】")]
    cases.append(PollState(Status.NO_RECORD, local(1, 6), None, local(1, 6)))
    for case in cases:
        for minute in range(0, 24 * 60, 37):
            now = local(1, 6) + timedelta(minutes=minute)
            at = next_poll_at(case, now, rng, policy)
            assert at - now >= timedelta(seconds=1800)
    times = {next_poll_at(state(), local(1, 22), random.Random(i)) for i in range(20)}
    assert len(times) == 20  # jitter: 20 parcels do not fall due at the same second


def test_transit_checks_in_after_the_night_and_dense_near_delivery():
    rng = random.Random(3)
    at = next_poll_at(state(), local(1, 22), rng).astimezone(CHINA_TZ)
    assert (at.day, at.hour) == (2, 7)  # night scans are collected in one morning poll
    near = state(text="【杭州市】快件已到达【杭州西湖营业部】", at=local(2, 6))
    gap = next_poll_at(near, local(2, 7), rng) - local(2, 7)
    assert gap <= timedelta(minutes=35)
    out = next_poll_at(state(Status.OUT_FOR_DELIVERY, at=local(2, 8)), local(2, 9), rng)
    assert out - local(2, 9) <= timedelta(minutes=35)
    # No record at night waits for the morning.
    empty = PollState(Status.NO_RECORD, local(1, 6), None, local(1, 6))
    assert next_poll_at(empty, local(1, 22), rng).astimezone(CHINA_TZ).hour == 7


def test_pace_stretches_intervals():
    rng = random.Random(5)
    near = state(Status.OUT_FOR_DELIVERY, at=local(2, 8))
    slow = next_poll_at(near, local(2, 9), rng, Policy(pace=4)) - local(2, 9)
    assert slow >= timedelta(hours=2)


def _event(hour: int, text: str) -> TrackingEvent:
    return TrackingEvent(datetime(2026, 1, 1, hour, tzinfo=UTC), text)


def _result(status, *events) -> TrackResult:
    return TrackResult("YT1", "yuantong", "圆通", status, tuple(events))


def test_diff_by_time_content_and_status():
    a, b = _event(1, "揽收"), _event(5, "到达  杭州")
    base = Baseline.of(_result(Status.IN_TRANSIT, a))
    change, after = diff(base, _result(Status.IN_TRANSIT, b, a))
    assert change.new_events == (b,) and not change.status_changed and not change.is_milestone
    # The same timeline re-sent, reordered or re-spaced: nothing new.
    respaced = _event(5, "到达 杭州")
    assert diff(after, _result(Status.IN_TRANSIT, a, respaced))[0] is None
    # A status change alone is a change; into a milestone it is a milestone.
    change, _ = diff(after, _result(Status.OUT_FOR_DELIVERY, b, a))
    assert change.status_changed and change.is_milestone and change.new_events == ()
    assert diff(after, _result(Status.QUERY_ERROR))[0] is None
    # First events ever: picked up, a milestone; the key is deterministic.
    first, _ = diff(Baseline.of(None), _result(Status.IN_TRANSIT, a))
    assert first.picked_up and first.is_milestone
    assert first.key(9) == diff(Baseline.of(None), _result(Status.IN_TRANSIT, a))[0].key(9)
    merged = merge([first, change])
    assert merged.status == Status.OUT_FOR_DELIVERY and merged.new_events == (a,)


@pytest.mark.parametrize(
    ("used", "hour", "expected"),
    [(0, 12, 1.0), (20, 1, 1.0), (50, 6, 2.0), (60, 3, 4.8), (89, 23, 1.0), (90, 23, None)],
)
def test_budget_pace(used, hour, expected):
    now = local(1, hour)
    pace = pace_for(used, 100, now)
    assert pace == expected if expected is None else pace == pytest.approx(expected, 0.01)
    assert pace_for(10**6, None, now) == 1.0
    assert calls_left(used, 100) == max(0, 90 - used) and calls_left(5, None) is None


def test_quiet_hours():
    quiet = QuietHours.parse("23:00-07:30")
    assert quiet.defer(local(1, 23, 30)) == local(2, 7, 30)
    assert quiet.defer(local(2, 3)) == local(2, 7, 30)
    assert quiet.defer(local(2, 12)) == local(2, 12)
    assert QuietHours.parse("") is None and QuietHours.parse("soon") is None
    day = QuietHours.parse("12-14")
    assert day.defer(local(1, 13)) == local(1, 14)
