"""A parcel's whole life through the real engine, poller, outbox and runtime sender, on both
database backends: subscribe → scans arrive → pushes → delivered → polling stops; and the
same across a restart, with no lost or repeated push."""

from __future__ import annotations

from tests.support.world import YT

PICKUP = ("2026-01-01 07:30:00", "【泉州市】【福建营销部】已揽收")
HUB = ("2026-01-01 23:10:00", "【泉州市】快件离开【泉州中转部】已发往【杭州中转部】")
STATION = ("2026-01-02 06:10:00", "【杭州市】快件已到达【杭州西湖营业部】")
OUT = ("2026-01-02 08:20:00", "【杭州市】【杭州西湖营业部】快递员正在派件")
SIGNED = ("2026-01-02 10:05:00", "【杭州市】已签收，签收人：本人")


def timeline(*events):
    return list(reversed(events))  # the upstream lists newest first


def test_subscribe_push_deliver_stop(world, upstream):
    upstream.set_track(YT, 2, timeline(PICKUP))
    chat = world.chat()
    replies = chat.say(f"/subscribe {YT} 妈妈的药")
    assert replies[0].card is not None and replies[0].card.number == YT
    assert "已订阅" in replies[-1].text and "妈妈的药" in replies[-1].text
    assert world.service.is_subscribed(_msg(chat), YT)

    # Nothing new: the first round polls and pushes nothing (the card was the baseline).
    assert world.round() == []
    assert len(upstream.requests_for(YT)) == 2  # the lookup and one poll

    upstream.set_track(YT, 2, timeline(PICKUP, HUB))
    pushes = world.advance_and_round(hours=24)
    assert len(pushes) == 1
    push = pushes[0].reply
    assert [e.text for e in push.card.events] == [HUB[1]]  # only what is new
    assert "妈妈的药" in push.text and push.mentions == ()
    assert pushes[0].target.chat_id == "c1"

    upstream.set_track(YT, 3, timeline(PICKUP, HUB, STATION, OUT))
    pushes = world.advance_and_round(hours=6)  # the midday check-in sees it
    assert len(pushes) == 1
    assert pushes[0].reply.card.status == 3
    assert [e.text for e in pushes[0].reply.card.events] == [OUT[1], STATION[1]]

    upstream.set_track(YT, 4, timeline(PICKUP, HUB, STATION, OUT, SIGNED))
    pushes = world.advance_and_round(hours=2)
    assert len(pushes) == 1 and pushes[0].reply.card.status == 4
    assert not world.service.is_subscribed(_msg(chat), YT)  # finished
    assert "已结束" in chat.say("/list")[0].text

    calls = len(upstream.requests_for(YT))
    assert world.advance_and_round(hours=48) == []
    assert len(upstream.requests_for(YT)) == calls  # final: never polled again


def test_restart_mid_lifecycle_no_lost_or_repeated_push(world, upstream, clock):
    upstream.set_track(YT, 2, timeline(PICKUP))
    world.chat().say(f"/subscribe {YT}")
    upstream.set_track(YT, 2, timeline(PICKUP, HUB))
    assert len(world.advance_and_round(hours=24)) == 1

    # New events; the round queues the push but the process dies before sending it.
    upstream.set_track(YT, 3, timeline(PICKUP, HUB, STATION, OUT))
    clock.advance(hours=6)
    world.poller.run_once()
    assert world.runtime.outbox.counts().get("pending") == 1

    world = world.restart()
    # The same round again (a retry after the crash) finds nothing new to push...
    world.poller.run_once(all_numbers=True)
    world.runtime.send_pending()
    out = [s for s in world.sender.sent if s.reply.card and s.reply.card.status == 3]
    assert len(out) == 1  # ...and the queued push is sent exactly once by the new process

    upstream.set_track(YT, 4, timeline(PICKUP, HUB, STATION, OUT, SIGNED))
    world = world.restart()
    pushes = world.advance_and_round(hours=2)
    assert [p.reply.card.status for p in pushes] == [4]
    statuses = [s.reply.card.status for s in world.sender.sent if s.reply.card]
    assert statuses == [2, 3, 4]  # every change once, in order
    keys = [s.key for s in world.sender.sent]
    assert len(keys) == len(set(keys))


def test_several_parcels_in_one_chat_batch_into_one_message(world, upstream):
    other = "YT1234567890999"
    for number in (YT, other):
        upstream.set_track(number, 2, timeline(PICKUP))
        world.chat().say(f"/subscribe {number}")
    world.round()
    for number in (YT, other):
        upstream.set_track(number, 3, timeline(PICKUP, OUT))
    pushes = world.advance_and_round(hours=24)
    assert len(pushes) == 1
    assert YT in pushes[0].reply.text and other in pushes[0].reply.text


def _msg(chat):
    from bot.models import Incoming

    return Incoming(chat.platform, chat.chat_id, chat.user_id, "0", "", chat.is_group)
