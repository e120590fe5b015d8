"""Parcel claims and revival: a claim late in a long round gets a full lease, and a new
follower revives a parcel already marked final."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.subscriptions.claims import claim_due
from bot.subscriptions.schema import ACTIVE, FINAL, parcels
from tests.support.world import YT

PICKUP = ("2026-01-01 07:30:00", "【泉州市】【福建营销部】已揽收")


def test_a_late_claim_in_a_long_round_gets_a_full_lease(world, upstream, clock):
    upstream.set_track(YT, 2, [PICKUP])
    world.chat().say(f"/subscribe {YT}")
    round_started = clock.now()
    clock.advance(1000)  # later in a long round: the lease must run from now, not the start
    [row] = claim_due(world.core.db, round_started, 10, 300, lease_from=clock.now())
    assert row.lease_until == clock.now() + timedelta(seconds=300)
    # and while that lease runs, nobody else can take the row
    assert claim_due(world.core.db, round_started, 10, 300, lease_from=clock.now()) == []


def test_a_new_follower_revives_a_parcel_marked_final(world, upstream, clock):
    upstream.set_track(YT, 2, [PICKUP])
    world.chat().say(f"/subscribe {YT}")
    with world.core.db.engine.begin() as conn:
        conn.execute(parcels.update().where(parcels.c.number == YT).values(state=FINAL))
    # The upstream is down when the second chat subscribes: it is told "later", and later
    # must come.
    upstream.set_gateway_error(YT, 504, "Async Service")
    clock.advance(600)
    world.chat(chat_id="c2", user_id="u2").say(f"/subscribe {YT}")
    with world.core.db.engine.connect() as conn:
        state = conn.execute(select(parcels.c.state).where(parcels.c.number == YT)).scalar()
    assert state == ACTIVE
