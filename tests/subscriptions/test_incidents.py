"""Upstream trouble and slow parcels: quota exhausted mid-run (tell once, stop, resume),
throttling, a number with no records that appears a day later, one that never does, and
the daily budget."""

from __future__ import annotations

from tests.subscriptions.test_lifecycle import HUB, OUT, PICKUP, timeline
from tests.support.world import YT

OTHER = "YT1234567890777"


def _quota_notices(world):
    return [s for s in world.sender.sent if "次数已用完" in s.reply.text]


def test_quota_exhausted_tells_once_stops_and_resumes(world, upstream, clock):
    for chat_id, number in (("c1", YT), ("c2", OTHER)):
        upstream.set_track(number, 2, timeline(PICKUP))
        world.chat(chat_id).say(f"/subscribe {number}")
    world.round()
    upstream.reset()
    upstream.set_quota_exhausted()

    world.advance_and_round(hours=24)
    notices = _quota_notices(world)
    assert sorted(n.target.chat_id for n in notices) == ["c1", "c2"]  # each chat once
    during = len(upstream.requests)
    # 24 h of rounds while exhausted: only sparse probes (every 30 min growing to 6 h).
    assert during <= 12

    clock.advance(hours=6)
    world.round()
    assert len(_quota_notices(world)) == 2  # a failed probe tells nobody again

    upstream.reset()
    for number in (YT, OTHER):
        upstream.set_track(number, 3, timeline(PICKUP, HUB, OUT))
    pushes = world.advance_and_round(hours=7)
    assert sorted(p.target.chat_id for p in pushes if p.reply.card) == ["c1", "c2"]
    assert world.poller.health.get("quota") is None


def test_throttling_backs_off(world, upstream):
    upstream.set_track(YT, 2, timeline(PICKUP))
    world.chat().say(f"/subscribe {YT}")
    upstream.reset()
    upstream.set_throttled()
    world.round()  # the subscription's first poll is due at once
    assert world.report.errors == {"throttled": 1}
    first = len(upstream.requests)
    world.round()
    assert world.report.skipped == "throttled" and len(upstream.requests) == first


def test_no_record_then_appears_a_day_later(world, upstream, clock):
    upstream.set_track(YT, 1, [])
    replies = world.chat().say(f"/subscribe {YT}")
    assert "还没有物流记录" in replies[0].text and "已订阅" in replies[-1].text
    assert world.advance_and_round(hours=22) == []
    calls = len(upstream.requests_for(YT))
    assert 5 <= calls <= 20  # hourly, then two-hourly, never at night

    upstream.set_track(YT, 2, [("2026-01-01 23:30:00", "【泉州市】【福建营销部】已揽收")])
    pushes = world.advance_and_round(hours=4)
    assert len(pushes) == 1 and pushes[0].reply.card.events[0].text.endswith("已揽收")


def test_never_scanned_tells_and_stops_after_three_days(world, upstream):
    upstream.set_track(YT, 1, [])
    world.chat().say(f"/subscribe {YT} 网购")
    sent = world.advance_and_round(hours=80)
    assert len(sent) == 1 and "3 天" in sent[0].reply.text and "网购" in sent[0].reply.text
    calls = len(upstream.requests_for(YT))
    assert world.advance_and_round(hours=48) == []
    assert len(upstream.requests_for(YT)) == calls
    assert "已停止跟踪" in world.chat().say("/list")[0].text


def test_daily_budget_pauses_the_poller(make_world, upstream):
    world = make_world(kuaidi_daily_budget=10)
    numbers = [f"YT12345678900{i:02d}" for i in range(12)]
    for number in numbers:
        upstream.set_track(number, 2, timeline(PICKUP))
        world.chat().say(f"/subscribe {number}")
    upstream.clear_requests()
    world.round()
    assert len(upstream.requests) == 9  # 90 % of the budget; the rest is for users
    world.round(all_numbers=True)
    assert world.report.skipped == "budget"
