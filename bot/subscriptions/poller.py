"""Poll rounds: claim due numbers, ask the upstream once each, detect changes, queue pushes.

Parcel rows are claimed `BATCH` at a time under a lease (`FOR UPDATE SKIP LOCKED` on
PostgreSQL; one atomic `UPDATE … RETURNING` on SQLite), so any number of workers share the
work and never poll one number twice. Each is asked once; then the batch's answers, every
follower's change and the next poll times are written in one transaction whose writes check
the leases. A spent quota or throttling pauses every worker (`bot.subscriptions.incidents`);
the daily budget slows the schedule down.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, select, update

from bot.clock import Clock
from bot.lookup import needs_phone
from bot.models import Reply
from bot.storage.db import Database
from bot.subscriptions.budget import QUOTA, THROTTLED, Health, calls_left, pace_for
from bot.subscriptions.changes import (
    Baseline,
    diff,
    events_from_json,
    events_to_json,
    fingerprint,
)
from bot.subscriptions.claims import (
    Answer,
    LeasedWrites,
    claim_due,
    held_leases,
    leased_write,
    release,
)
from bot.subscriptions.incidents import quota_exhausted, throttled
from bot.subscriptions.names import with_names
from bot.subscriptions.pushes import PushQueue
from bot.subscriptions.schedule import (
    STOP_FINAL,
    Policy,
    PollState,
    next_poll_at,
    stop_reason,
)
from bot.subscriptions.schema import (
    ACTIVE,
    FINAL,
    STOPPED,
    SUB_ACTIVE,
    SUB_DONE,
    SUB_STOPPED,
    subscriptions,
)
from bot.subscriptions.threads import subscription_target
from bot.texts import t
from bot.tracking import Status, TrackResult
from bot.upstream import (
    PhoneRequired,
    QuotaExhausted,
    Throttled,
    TrackingProvider,
    UpstreamError,
)

log = logging.getLogger(__name__)

#: `(conn, parcel_id, now) -> next poll or None`: holds parcels followed by push.
PushHold = Callable[[Connection, int, datetime], datetime | None]
#: After this many failed polls in a row a round stops: the upstream is down for everyone.
ROUND_FAILURES = 5
#: Parcels claimed at once; their answers are written in one transaction.
BATCH = 100
#: Longest a round's pushes wait in `run_once` (the batching window's upper bound).
MAX_WAIT = 10.0


@dataclass
class RoundReport:
    """What one round did."""

    polled: int = 0
    changes: int = 0
    pushes: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None  # "quota", "throttled", "budget" when the round did not run


class _Abort(Exception):
    """Stop the round (quota exhausted, throttled, upstream down)."""


class Poller:
    """Runs poll rounds against `provider`, pushing through `pushes`."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        provider: TrackingProvider,
        pushes: PushQueue,
        *,
        min_interval: float = 1800.0,
        daily_budget: int | None = None,
        lease_seconds: float = 300.0,
        batch: int = BATCH,
        round_limit: int = 5000,
        rng: random.Random | None = None,
        owner: str | None = None,
        push_hold: PushHold | None = None,
    ) -> None:
        """`push_hold(conn, parcel_id, now)` gives the next (check) poll of a parcel followed
        by push, None for a polled one (`bot.subscriptions.push_state.hold_if_pushed`)."""
        self.db = db
        self.clock = clock
        self.provider = provider
        self.pushes = pushes
        self.health = Health(db, clock)
        self.min_interval = float(min_interval)
        self.daily_budget = daily_budget
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.round_limit = round_limit
        self.rng = rng or random.Random()
        self.owner = owner or uuid.uuid4().hex[:12]
        self.push_hold = push_hold
        self._flags_up: set[str] = set()

    # --- entry points ---------------------------------------------------------------------
    def run_once(self, *, all_numbers: bool = False) -> RoundReport:
        """`kuaidi-bot poll --once [--all]`: one round, then flush its pushes to the outbox
        without waiting for the window (the round was the window)."""
        report = self.run_round(all_numbers=all_numbers)
        report.pushes += self.pushes.flush(self.clock.now() + timedelta(seconds=MAX_WAIT))
        return report

    def tick(self) -> RoundReport:
        """One step of the background loop: a round of due numbers, then due pushes."""
        report = self.run_round()
        report.pushes += self.pushes.flush()
        return report

    def run_forever(self, stop: threading.Event, idle_seconds: float = 2.0) -> None:
        """The background poller (`KUAIDI_POLLER=1`): tick until `stop` is set."""
        while not stop.is_set():
            try:
                report = self.tick()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
                log.exception("poll round failed")
                report = RoundReport()
            if report.polled == 0:
                stop.wait(idle_seconds)

    # --- one round ------------------------------------------------------------------------
    def run_round(self, *, all_numbers: bool = False) -> RoundReport:
        """Poll every due number (with `all_numbers`: every non-final one not polled within
        the minimum interval) once, within the budget and the health flags."""
        report = RoundReport()
        now = self.clock.now()
        limit = self.round_limit
        self._flags_up: set[str] = set()
        for name in (QUOTA, THROTTLED):
            flag = self.health.get(name)
            if flag is not None:
                self._flags_up.add(name)
            if flag is not None and flag.until and now < flag.until and not all_numbers:
                report.skipped = name
                return report
            if flag is not None and name == QUOTA:
                limit = 1  # probe: does one call work again?
        used = self.health.calls_today()
        pace = pace_for(used, self.daily_budget, now)
        if pace is None:
            report.skipped = "budget"
            return report
        left = calls_left(used, self.daily_budget)
        if left is not None:
            limit = min(limit, left)
        policy = Policy(min_interval=self.min_interval, pace=pace)
        try:
            self._round(report, limit, all_numbers, policy)
        except _Abort as reason:
            log.warning("poll round stopped: %s", reason)
        return report

    def _round(self, report: RoundReport, limit: int, all_numbers: bool, policy: Policy):
        failures_in_row = 0
        # Cut-offs fixed at the round's start: a number polled in this round is never due
        # again within it, even with a zero minimum interval.
        started = self.clock.now()
        since = started - timedelta(seconds=self.min_interval) if all_numbers else None
        while report.polled < limit:
            size = min(self.batch, limit - report.polled)
            rows = claim_due(
                self.db,
                started,
                size,
                self.lease_seconds,
                polled_before=since,
                lease_from=self.clock.now(),
            )
            if not rows:
                return
            answers: list[Answer] = []
            try:
                for row in rows:
                    answers.append(self._ask(row, report))
                    report.polled += 1
                    failures_in_row = failures_in_row + 1 if answers[-1].failed else 0
                    if failures_in_row >= ROUND_FAILURES:
                        raise _Abort("upstream unavailable")
            finally:
                # Whether the batch ended or the round stops: what was asked is written, in
                # one transaction, and the parcels not asked are given back.
                report.changes += self._write(answers, policy)
                release(self.db, rows[len(answers) :])
            # A long round must not hold back pushes whose batching window has passed.
            report.pushes += self.pushes.flush()

    # --- one number -----------------------------------------------------------------------
    def _ask(self, row, report: RoundReport) -> Answer:
        """Ask the upstream about one leased parcel (written later, with its batch)."""
        tail = row.tail
        if tail is None and needs_phone(row.number, row.carrier):
            tail = self._follower_tail(row.id)
        try:
            result = self.provider.track(row.number, row.vendor_code, tail, fresh=True)
        except QuotaExhausted as error:
            self._count(report, error)
            quota_exhausted(self.db, self.clock, self.health, self.pushes.outbox)
            raise _Abort("quota exhausted") from None
        except Throttled as error:
            self._count(report, error)
            throttled(self.clock, self.health, error)
            raise _Abort("throttled") from None
        except PhoneRequired as error:
            self._count(report, error)
            return Answer(row, stop_key="sub_stopped_tail")
        except UpstreamError as error:
            self._count(report, error)
            return Answer(row, failed=True)
        while self._flags_up:  # calls work again: lower the flags this round found up
            self.health.clear(self._flags_up.pop())
        return Answer(row, result)

    def _write(self, answers: list[Answer], policy: Policy) -> int:
        """Write a batch's answers, its followers' changes and the day's call count in one
        transaction (a commit per number was most of a round's time); return changes."""
        if not answers:
            return 0
        now, writes = self.clock.now(), LeasedWrites()
        with self.db.engine.begin() as conn:
            held = held_leases(conn, [answer.row for answer in answers])
            answers = [answer for answer in answers if answer.row.id in held]
            followers = self._followers(conn, [answer.row.id for answer in answers])
            for answer in answers:
                subs = followers.get(answer.row.id, [])
                if answer.result is not None:
                    self._apply(conn, writes, answer.row, answer.result, policy, subs, now)
                elif answer.stop_key is not None:
                    self._stop_parcel(conn, writes, answer.row, answer.stop_key, subs, now)
                else:
                    self._retry_later(writes, answer.row, now)
            # The leases are held (locked on PostgreSQL), so every parcel's write lands.
            if writes.parcels.run(conn) != len(answers):
                raise RuntimeError("a leased parcel changed hands while its batch was written")
            writes.subscriptions.run(conn)
            self.health.count_call(conn, len(answers))
            return self.pushes.record_many(conn, writes.changes)

    @staticmethod
    def _count(report: RoundReport, error: UpstreamError) -> None:
        report.errors[error.kind] = report.errors.get(error.kind, 0) + 1

    def _follower_tail(self, parcel_id: int) -> str | None:
        query = select(subscriptions.c.tail).where(
            subscriptions.c.parcel_id == parcel_id, subscriptions.c.tail.is_not(None)
        )
        with self.db.engine.connect() as conn:
            return conn.execute(query.limit(1)).scalar()

    def _apply(
        self, conn: Connection, writes: LeasedWrites, row, result: TrackResult, policy, subs, now
    ) -> None:
        """Queue the answer's write, each follower's change and the next poll."""
        known = {fingerprint(e) for e in _stored_events(row)}
        fresh = {fingerprint(e) for e in result.events}
        moved = result.status != Status.QUERY_ERROR and (
            int(result.status) != row.status or not fresh <= known
        )
        # A query-error answer says nothing: keep what we knew.
        informative = result.status != Status.QUERY_ERROR
        events = result.events if informative else _stored_events(row)
        state = PollState(
            status=result.status if informative else Status.coerce(row.status),
            created_at=row.created_at,
            last_event_at=events[0].time if events else None,
            last_change_at=now if moved else row.last_change_at,
            last_text=events[0].text if events else "",
            has_events=bool(events),
        )
        reason = stop_reason(state, now, policy)
        values = {
            "status": int(state.status),
            "events": events_to_json(events),
            "last_event_at": state.last_event_at,
            "last_change_at": state.last_change_at,
            "last_polled_at": now,
            "polls": row.polls + 1,
            "failures": 0,
            "lease_until": None,
            "lease_token": None,
            "next_poll_at": next_poll_at(state, now, self.rng, policy),
            "state": ACTIVE if reason is None else FINAL if reason == STOP_FINAL else STOPPED,
        }
        if self.push_hold is not None and reason is None:
            # A check poll of a push parcel: wait for the push again, not the schedule.
            held = self.push_hold(conn, row.id, now)
            values["next_poll_at"] = held or values["next_poll_at"]
        leased_write(writes.parcels, row, values)
        self._follow_up(conn, writes, row, result, reason, subs, now)

    def _follow_up(self, conn: Connection, writes: LeasedWrites, row, result, reason, subs, now):
        """Diff the answer against every follower's baseline; queue changes; stop if done."""
        for sub in subs:
            change, after = diff(Baseline.load(sub.seen_events, sub.seen_status), result)
            if change is not None and (not sub.milestones_only or change.is_milestone):
                writes.changes.append(self.pushes.change_row(sub, change, now))
            values = {"seen_events": after.seen_json(), "seen_status": after.status}
            if reason is not None:
                values["state"] = SUB_DONE if reason == STOP_FINAL else SUB_STOPPED
                if reason != STOP_FINAL:
                    self._notify(conn, sub, row, f"sub_stopped_{reason}")
            writes.subscriptions.add(_SUB_UPDATE, {"sub_id_": sub.id, **values})

    @staticmethod
    def _followers(conn: Connection, parcel_ids: list[int]) -> dict[int, list]:
        """Active subscriptions of these parcels (oldest first), by parcel id."""
        query = select(subscriptions).where(
            subscriptions.c.parcel_id.in_(parcel_ids), subscriptions.c.state == SUB_ACTIVE
        )
        found: dict[int, list] = {}
        for sub in conn.execute(query.order_by(subscriptions.c.id)):
            found.setdefault(sub.parcel_id, []).append(sub)
        return found

    def _notify(self, conn: Connection, sub, row, key: str) -> None:
        """Tell a follower why polling stopped (once per subscription and parcel episode)."""
        target = subscription_target(conn, sub)
        text = t(key, sub.language, number=row.number, label=sub.label or row.number)
        reply = Reply(text=text, mentions=(sub.user_id,) if sub.is_group and sub.user_id else ())
        reply = with_names(conn, sub.platform, reply)
        episode = int(row.created_at.timestamp())
        key = f"subnote:{sub.id}:{key}:{episode}"
        self.pushes.outbox.add(conn, target, reply, key, self.clock.now())

    def _stop_parcel(
        self, conn: Connection, writes: LeasedWrites, row, key: str, subs, now
    ) -> None:
        """Stop polling `row` and tell its followers why (the SF phone tail stopped working)."""
        values = {"state": STOPPED, "lease_until": None, "lease_token": None}
        leased_write(writes.parcels, row, {**values, "last_polled_at": now})
        for sub in subs:
            self._notify(conn, sub, row, key)
            writes.subscriptions.add(_SUB_UPDATE, {"sub_id_": sub.id, "state": SUB_STOPPED})

    def _retry_later(self, writes: LeasedWrites, row, now) -> None:
        """A transient failure: try this number again after a growing delay."""
        delay = min(7200.0, max(self.min_interval, 600.0 * 2**row.failures))
        delay *= 1 + self.rng.random() / 5
        values = {
            "failures": row.failures + 1,
            "next_poll_at": now + timedelta(seconds=delay),
            "last_polled_at": now,
            "lease_until": None,
            "lease_token": None,
        }
        leased_write(writes.parcels, row, values)


# Built once: the SET columns come from each call's parameters (as in `claims.write_leased`).
_SUB_UPDATE = update(subscriptions).where(subscriptions.c.id == bindparam("sub_id_"))


def _stored_events(row) -> tuple:
    """The timeline kept on the parcel row."""
    return events_from_json(row.events)
