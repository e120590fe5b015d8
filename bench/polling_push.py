"""The "push" row of `bench/polling.py`: a parcel followed by Kuaidi100's push, simulated.

Same parcels, same clock as the polling rows. One call registers the parcel (the lookup at
subscribe time is not counted, as for polling). Every later scan arrives `delay` seconds
after it happens (Kuaidi100's push delay: an assumption, it is not published). While the
push stays silent for `SILENCE` (24 h) the bot polls once as a check (`push_state`), and a
check poll applies the same stop rules as polling (no record for 3 days, no change for 10),
so a stuck or never-scanned parcel costs a few checks; a final scan ends it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.subscriptions.push_state import SILENCE
from bot.subscriptions.schedule import PollState, stop_reason
from bot.tracking import MILESTONES, Status


def simulate_push(subscribe: float, events: list, start: datetime, delay: float):
    """(calls, lags of all events, of milestones) for one parcel; times in seconds since
    `start`; `events` have `.t`, `.status`, `.text`, `.milestone`."""
    silence = SILENCE.total_seconds()
    created = start + timedelta(seconds=subscribe)
    later = [e for e in events if e.t > subscribe]
    shown = len(events) - len(later)  # what the card at subscribe time showed
    calls, contact, last_change = 1, subscribe, subscribe
    lags: list[float] = []
    miles: list[float] = []
    horizon = subscribe + 30 * 86400
    while contact < horizon:
        arrival = later[0].t + delay if later else float("inf")
        if contact + silence < arrival:  # silent too long: one check poll
            contact += silence
            calls += 1
            while later and later[0].t <= contact:  # the check finds what happened
                _count(later.pop(0), contact, lags, miles)
                shown += 1
                last_change = contact
            latest = events[shown - 1] if shown else None
            if _stops(latest, shown, created, start, contact, last_change):
                break
            continue
        event = later.pop(0)
        _count(event, arrival, lags, miles)
        shown += 1
        contact = last_change = arrival
        if event.status.is_final:
            break
    return calls, lags, miles


def _count(event, when: float, lags: list[float], miles: list[float]) -> None:
    lags.append(when - event.t)
    if event.milestone or event.status in MILESTONES:
        miles.append(when - event.t)


def _stops(latest, shown: int, created, start, at: float, last_change: float) -> bool:
    """The poller's stop rules at a check poll."""
    state = PollState(
        status=latest.status if latest else Status.NO_RECORD,
        created_at=created,
        last_event_at=start + timedelta(seconds=latest.t) if latest else None,
        last_change_at=start + timedelta(seconds=last_change),
        last_text=latest.text if latest else "",
        has_events=bool(shown),
    )
    return stop_reason(state, start + timedelta(seconds=at)) is not None
