"""Change detection (pure): what is new in a tracking answer compared with what a chat saw.

An event is identified by its time and its text (a fingerprint of both), so a carrier that
re-sends its timeline, or reorders it, produces no push; a status change is identified by its
code. Status 0 (query error) carries no information and never counts as a change. Every
change has a deterministic key per subscription, which makes detecting it twice harmless.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.models import TrackingEvent
from bot.tracking import MILESTONES, Status, TrackResult

#: Fingerprints kept per subscription; a timeline longer than this is unheard of.
MAX_SEEN = 300
_SPACES = re.compile(r"\s+")


def fingerprint(event: TrackingEvent) -> str:
    """A short stable id of an event: its UTC time (to the second) and its normalised text."""
    moment = event.time.astimezone(UTC).strftime("%Y%m%d%H%M%S") if event.time else "-"
    text = _SPACES.sub(" ", event.text).strip()
    return hashlib.sha1(f"{moment}|{text}".encode()).hexdigest()[:12]  # noqa: S324 - an id


def events_to_json(events: tuple[TrackingEvent, ...] | list[TrackingEvent]) -> str:
    """Events as a JSON list of {time, text} (ISO times)."""
    return json.dumps(
        [{"time": e.time.isoformat() if e.time else None, "text": e.text} for e in events],
        ensure_ascii=False,
    )


def events_from_data(data: list[dict]) -> tuple[TrackingEvent, ...]:
    """Events back from the list `events_to_json` wrote."""
    return tuple(
        TrackingEvent(datetime.fromisoformat(e["time"]) if e.get("time") else None, e["text"])
        for e in data
    )


def events_from_json(text: str) -> tuple[TrackingEvent, ...]:
    """Events back from `events_to_json`."""
    return events_from_data(json.loads(text or "[]"))


@dataclass(frozen=True)
class Baseline:
    """What one chat has been shown: event fingerprints and the status code (None: nothing
    yet, e.g. the upstream was down when it subscribed)."""

    seen: frozenset[str]
    status: int | None

    @classmethod
    def of(cls, result: TrackResult | None) -> Baseline:
        """The baseline a chat has after seeing `result` (empty when there was none)."""
        if result is None:
            return cls(frozenset(), None)
        return cls(frozenset(fingerprint(e) for e in result.events), int(result.status))

    @classmethod
    def load(cls, seen_json: str, status: int | None) -> Baseline:
        """Read the stored columns."""
        return cls(frozenset(json.loads(seen_json or "[]")), status)

    def seen_json(self) -> str:
        """The fingerprints for storage (sorted, capped)."""
        return json.dumps(sorted(self.seen)[-MAX_SEEN:])


@dataclass(frozen=True)
class Change:
    """What is new for one chat: the status now, whether it changed, and the new events."""

    status: Status
    status_changed: bool
    new_events: tuple[TrackingEvent, ...]  # newest first
    picked_up: bool  # the first events ever shown to this chat

    @property
    def is_milestone(self) -> bool:
        """Picked up, or a status change into a milestone (out for delivery, delivered,
        refused, problem, failed, returned, invalid)."""
        return self.picked_up or (self.status_changed and self.status in MILESTONES)

    def key(self, subscription_id: int) -> str:
        """Deterministic per (subscription, change): the outbox's exactly-once key part."""
        digest = hashlib.sha1(  # noqa: S324 - an id, not security
            ",".join(sorted(fingerprint(e) for e in self.new_events)).encode()
        ).hexdigest()[:16]
        return f"{subscription_id}:{int(self.status)}:{digest}"

    def to_data(self) -> dict:
        """JSON-safe form for the `sub_changes` row."""
        return {
            "status": int(self.status),
            "status_changed": self.status_changed,
            "events": json.loads(events_to_json(self.new_events)),
            "picked_up": self.picked_up,
        }

    @classmethod
    def from_data(cls, data: dict) -> Change:
        """Back from `to_data`."""
        return cls(
            Status.coerce(data["status"]),
            bool(data["status_changed"]),
            events_from_data(data["events"]),
            bool(data.get("picked_up")),
        )


def diff(baseline: Baseline, result: TrackResult) -> tuple[Change | None, Baseline]:
    """The change `result` brings over `baseline` (None when nothing is new), and the new
    baseline. A query-error answer changes nothing."""
    if result.status == Status.QUERY_ERROR:
        return None, baseline
    current = {fingerprint(e): e for e in result.events}
    new_events = tuple(e for fp, e in current.items() if fp not in baseline.seen)
    status_changed = baseline.status != int(result.status)
    after = Baseline(baseline.seen | current.keys(), int(result.status))
    if not new_events and not status_changed:
        return None, after
    picked_up = not baseline.seen and bool(new_events)
    return Change(result.status, status_changed, new_events, picked_up), after


def merge(changes: list[Change]) -> Change:
    """Several changes of one subscription (deferred by a window or quiet hours) as one:
    the latest status, every new event once, newest first."""
    by_fp: dict[str, TrackingEvent] = {}
    for change in changes:
        for event in change.new_events:
            by_fp.setdefault(fingerprint(event), event)
    events = sorted(
        by_fp.values(), key=lambda e: e.time or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    last = changes[-1]
    return Change(
        last.status,
        any(c.status_changed for c in changes),
        tuple(events),
        any(c.picked_up for c in changes),
    )
