"""Poll scheduling (pure): when to ask the upstream about a followed number next.

Every call is paid for, so the schedule follows how parcels actually move in China:

* no record yet: the parcel waits for pickup, mostly in the afternoon and evening; poll hourly
  at first, then every two hours, not at night; give up after `no_record_limit` (3 days).
* in transit: hub scans happen at night and early in the morning, so one poll at about 07:00
  collects them all; two more check-ins (midday, evening) catch daytime scans. Older parcels
  (no scan for days) are checked less often, and after `stale_limit` without any change the
  subscription stops.
* arrived at the delivery station (the last scan says so) or out for delivery: the next
  milestone is hours away at most, so poll at the minimum interval during the day.
* final (delivered, invalid, returned and signed): stop.

A jitter spreads polls so that thousands of parcels do not all fall due at 07:00 sharp; it
only ever lengthens an interval, so `min_interval` always holds. `pace` (≥ 1, from the daily
budget) stretches every interval when calls run short.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.clock import CHINA_TZ
from bot.tracking import Status

#: Local times (China) of the in-transit check-ins: after the night's hub scans, at midday
#: and in the evening.
CHECK_INS = (time(7, 0), time(12, 30), time(18, 30))
#: Quiet night for parcels that cannot move until morning (no record, at the station).
DAY_START, DAY_END = time(7, 0), time(21, 0)
#: A scan like this means the next one is "out for delivery" (or delivered) within hours.
_AT_STATION = re.compile(
    r"(到达|到件|抵达|进入).{0,30}(营业部|营业点|营业所|网点|服务点|服务站|驿站|分部|站点|派送站|配送站)"
    r"|待派|安排派送|等待派送|准备派送|arrived at (the )?(delivery|local)",
    re.IGNORECASE,
)

STOP_FINAL = "final"
STOP_NO_RECORD = "no_record"
STOP_STALE = "stale"


@dataclass(frozen=True)
class PollState:
    """What the schedule looks at for one number."""

    status: Status
    created_at: datetime  # when it was first followed
    last_event_at: datetime | None
    last_change_at: datetime  # last time anything new was seen
    last_text: str = ""  # the newest scan's text
    has_events: bool = False


@dataclass(frozen=True)
class Policy:
    """Tunables. `min_interval` is KUAIDI_POLL_MIN_INTERVAL; `pace` comes from the budget."""

    min_interval: float = 1800.0
    pace: float = 1.0
    no_record_limit: timedelta = timedelta(days=3)
    stale_limit: timedelta = timedelta(days=10)


def stop_reason(state: PollState, now: datetime, policy: Policy = Policy()) -> str | None:
    """Why polling should stop now (`STOP_*`), or None to keep going."""
    if state.status.is_final:
        return STOP_FINAL
    if not state.has_events:
        return STOP_NO_RECORD if now - state.created_at >= policy.no_record_limit else None
    if now - state.last_change_at >= policy.stale_limit:
        return STOP_STALE
    return None


def next_poll_at(
    state: PollState, now: datetime, rng: random.Random, policy: Policy = Policy()
) -> datetime | None:
    """When to poll next (always ≥ now + min_interval), or None when polling should stop."""
    if stop_reason(state, now, policy) is not None:
        return None
    floor = policy.min_interval
    if not state.has_events:
        age = now - state.created_at
        hours = 1.0 if age < timedelta(hours=12) else 2.0
        return _daytime(now, max(floor, hours * 3600 * policy.pace), rng)
    if state.status == Status.OUT_FOR_DELIVERY or _near_delivery(state, now):
        stuck = state.last_event_at is not None and now - state.last_event_at > timedelta(hours=12)
        gap = 3 * 3600.0 if stuck else floor
        return _daytime(now, max(floor, gap * policy.pace), rng, jitter=0.1)
    return _check_in(state, now, rng, policy)


def _near_delivery(state: PollState, now: datetime) -> bool:
    """The newest scan (from the last 18 h) says the parcel reached its delivery station."""
    recent = state.last_event_at is not None and now - state.last_event_at < timedelta(hours=18)
    return recent and bool(_AT_STATION.search(state.last_text))


def _daytime(now: datetime, seconds: float, rng: random.Random, jitter: float = 0.15):
    """`now + seconds` (lengthened by up to `jitter`), moved to the next morning at night."""
    at = now + timedelta(seconds=seconds * (1 + rng.random() * jitter))
    local = at.astimezone(CHINA_TZ)
    if local.time() >= DAY_END or local.time() < DAY_START:
        morning = local.date() if local.time() < DAY_START else local.date() + timedelta(days=1)
        start = datetime.combine(morning, DAY_START, CHINA_TZ)
        at = start + timedelta(seconds=rng.random() * 1200)
    return at


def _check_in(state: PollState, now: datetime, rng: random.Random, policy: Policy):
    """The next check-in time at least the (paced) minimum gap away, plus a little jitter.

    A parcel whose newest scan is days old gets fewer check-ins: mornings only."""
    age = now - (state.last_event_at or state.last_change_at)
    slots = CHECK_INS if age < timedelta(days=2) else CHECK_INS[:1]
    gap = max(policy.min_interval, (policy.pace - 1) * 4 * 3600)
    earliest = now + timedelta(seconds=gap)
    local = earliest.astimezone(CHINA_TZ)
    for day in range(0, 4):
        date = local.date() + timedelta(days=day)
        for slot in slots:
            candidate = datetime.combine(date, slot, CHINA_TZ)
            if candidate >= earliest:
                return candidate + timedelta(seconds=rng.random() * 1200)
    return earliest + timedelta(days=1)  # pragma: no cover - slots always match within 4 days
