"""Applying a verified Kuaidi100 callback to the parcel it is about (in the worker).

The web route only verified and recorded the push; here its snapshot goes through the same
change detection as a poll answer: each follower's baseline is diffed and new scans or a new
status are queued for its chat (`PushQueue`). Then, by the callback's `status`:

* `shutdown`: Kuaidi100 finished the parcel (signed for): final, like a final poll answer;
* `abort`: it gave up (no record for days, no change for weeks): the parcel is polled again;
* `autoCheck`/`comNew`: the carrier code was wrong and Kuaidi100 corrected it: the parcel
  takes the new carrier and each follower is told once;
* `polling`/`updateall`: just the snapshot.

Callbacks may arrive out of order (Kuaidi100 retries a failed one half an hour later): a
snapshot older than what the parcel holds (its newest scan is older, or the same with fewer
scans) is ignored rather than rolled back to. Replays never get here: the inbox drops a
repeated delivery id (a hash of the signed `param`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Connection, select, update

from bot.clock import Clock
from bot.lookup import Lookup
from bot.models import Reply
from bot.storage.db import Database
from bot.subscriptions.changes import Baseline, diff, events_from_json, events_to_json
from bot.subscriptions.names import with_names
from bot.subscriptions.push_state import (
    ABORTED,
    DONE,
    PUSHING,
    SILENCE,
    push_state,
    set_push_state,
)
from bot.subscriptions.pushes import PushQueue, display_name
from bot.subscriptions.schema import (
    FINAL,
    SUB_ACTIVE,
    SUB_DONE,
    parcels,
    subscriptions,
)
from bot.subscriptions.threads import subscription_target
from bot.texts import t
from bot.tracking import Status, TrackResult
from bot.upstream.kuaidi100_protocol import Callback, parse_callback

log = logging.getLogger(__name__)


class CallbackApplier:
    """Applies callbacks (the `param` text the route recorded) to parcels and followers."""

    def __init__(self, db: Database, clock: Clock, pushes: PushQueue, lookup: Lookup) -> None:
        self.db = db
        self.clock = clock
        self.pushes = pushes
        self.lookup = lookup

    def apply(self, param: str) -> str:
        """Apply one callback; what it did ("applied", "stale", "unknown", "final", …)."""
        push = parse_callback(param)
        now = self.clock.now()
        with self.db.engine.begin() as conn:
            row = conn.execute(select(parcels).where(parcels.c.number == push.number)).first()
            if row is None or row.state == FINAL:
                return "unknown" if row is None else "final"
            if push_state(conn, row.id) not in (PUSHING, ABORTED):
                return "not_pushed"  # e.g. registered by another deployment: leave it
            outcome = "applied"
            if _stale(row, push.result):
                outcome = "stale"
            else:
                self._snapshot(conn, row, push, now)
            corrected = _corrected_code(push)
            if corrected and corrected != row.carrier:
                self._carrier_changed(conn, row, corrected, now)
                outcome += "+carrier"
            if push.status == "shutdown":
                self._finish(conn, row, now)
                set_push_state(conn, row.id, DONE, now)
                return outcome + "+final"
            if push.status == "abort" and not push.com_new:
                set_push_state(conn, row.id, ABORTED, now)
                polled_again = update(parcels).where(parcels.c.id == row.id)
                conn.execute(polled_again.values(next_poll_at=now))
                return outcome + "+polling"
            set_push_state(conn, row.id, PUSHING, now)
        return outcome

    def _snapshot(self, conn: Connection, row, push: Callback, now: datetime) -> None:
        """Store the snapshot on the parcel and queue each follower's change."""
        result = push.result
        events = result.events
        final = result.status.is_final
        values = {
            "status": int(result.status),
            "events": events_to_json(events),
            "last_event_at": events[0].time if events else row.last_event_at,
            "last_change_at": now,
            "next_poll_at": None if final else now + SILENCE,
            "state": FINAL if final else row.state,
        }
        conn.execute(update(parcels).where(parcels.c.id == row.id).values(values))
        for sub in _followers(conn, row.id):
            change, after = diff(Baseline.load(sub.seen_events, sub.seen_status), result)
            if change is not None and (not sub.milestones_only or change.is_milestone):
                self.pushes.record(conn, sub, change, now)
            state = SUB_DONE if final else sub.state
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == sub.id)
                .values(seen_events=after.seen_json(), seen_status=after.status, state=state)
            )

    def _finish(self, conn: Connection, row, now: datetime) -> None:
        """Kuaidi100 finished the parcel: no more polls, every subscription done."""
        conn.execute(
            update(parcels)
            .where(parcels.c.id == row.id)
            .values(state=FINAL, next_poll_at=None, last_change_at=now)
        )
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.parcel_id == row.id, subscriptions.c.state == SUB_ACTIVE)
            .values(state=SUB_DONE)
        )

    def _carrier_changed(self, conn: Connection, row, code: str, now: datetime) -> None:
        """Take Kuaidi100's corrected carrier and tell each follower once."""
        registry = self.lookup.registry
        carrier = registry.get(code)
        new_code = carrier.code if carrier else code
        conn.execute(
            update(parcels)
            .where(parcels.c.id == row.id)
            .values(carrier=new_code, vendor_code=registry.vendor_code(new_code) or new_code)
        )
        for sub in _followers(conn, row.id):
            name = self.lookup.carrier_name(new_code, sub.language) or new_code
            text = t(
                "sub_carrier_corrected",
                sub.language,
                label=display_name(sub.label, row.number),
                carrier=name,
            )
            mentions = (sub.user_id,) if sub.is_group and sub.user_id else ()
            reply = with_names(conn, sub.platform, Reply(text=text, mentions=mentions))
            key = f"subcarrier:{sub.id}:{new_code}"
            self.pushes.outbox.add(conn, subscription_target(conn, sub), reply, key, now)


def _followers(conn: Connection, parcel_id: int) -> list:
    query = select(subscriptions).where(
        subscriptions.c.parcel_id == parcel_id, subscriptions.c.state == SUB_ACTIVE
    )
    return conn.execute(query.order_by(subscriptions.c.id)).all()


def _corrected_code(push: Callback) -> str:
    """The carrier Kuaidi100 says is right, when it corrected ours ("" otherwise)."""
    if push.com_new:
        return push.com_new
    if push.auto_check == "1" and push.carrier:
        return push.carrier
    return ""


def _stale(row, result: TrackResult) -> bool:
    """True when the snapshot is older than what the parcel holds (never roll back)."""
    if result.status == Status.QUERY_ERROR:
        return True
    known = events_from_json(row.events)
    newest_known = known[0].time if known else None
    newest = result.events[0].time if result.events else None
    if newest_known is None:
        return False
    if newest is None or newest < newest_known:
        return True
    return newest == newest_known and len(result.events) < len(known)
