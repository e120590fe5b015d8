"""Subscription commands through the engine: groups and mentions, caps, idempotency,
milestones only, rename/unsubscribe/list, blocked chats and the admin /status."""

from __future__ import annotations

from tests.subscriptions.test_lifecycle import HUB, OUT, PICKUP, SIGNED, STATION, timeline
from tests.support.world import ADMIN, YT, ZT


def test_group_subscription_belongs_to_group_and_mentions_subscriber(world, upstream):
    upstream.set_track(YT, 2, timeline(PICKUP))
    alice = world.chat("g1", "alice", is_group=True)
    bob = world.chat("g1", "bob", is_group=True)
    replies = alice.say(f"/subscribe {YT} 办公室打印纸", addressed=True)
    assert "本群" in replies[-1].text
    assert YT in bob.say("/list", addressed=True)[0].text  # the group's parcels
    assert "办公室打印纸" in bob.say("我的快递", addressed=True)[0].text
    assert "还没有" in world.chat("c2", "alice").say("/list")[0].text  # not her private chat

    upstream.set_track(YT, 3, timeline(PICKUP, OUT))
    pushes = world.advance_and_round(hours=24)
    assert len(pushes) == 1
    assert pushes[0].target.chat_id == "g1" and pushes[0].target.is_group
    assert pushes[0].reply.mentions == ("alice",)


def test_a_batched_group_push_mentions_everyone_whose_parcel_moved(world, upstream):
    upstream.set_track(YT, 2, timeline(PICKUP))
    upstream.set_track(ZT, 2, timeline(PICKUP))
    alice = world.chat("g1", "alice", is_group=True)
    bob = world.chat("g1", "bob", is_group=True)
    alice.say(f"/subscribe {YT}", addressed=True, user_name="Alice Wang")
    bob.say(f"/subscribe {ZT}", addressed=True)  # a platform that gave no name
    upstream.set_track(YT, 3, timeline(PICKUP, OUT))
    upstream.set_track(ZT, 3, timeline(PICKUP, OUT))
    pushes = world.advance_and_round(hours=24)
    assert len(pushes) == 1  # one message for the group's two parcels
    assert YT in pushes[0].reply.text and ZT in pushes[0].reply.text
    assert set(pushes[0].reply.mentions) == {"alice", "bob"}
    # Names for renderers that write them (Telegram's mention links); none known for bob.
    assert pushes[0].reply.mention_names == (("alice", "Alice Wang"),)


def test_subscribing_twice_is_idempotent_and_updates(world, upstream):
    upstream.set_track(YT, 2, timeline(PICKUP))
    chat = world.chat()
    chat.say(f"/subscribe {YT} 旧备注")
    assert "已更新" in chat.say(f"订阅 {YT} 新备注")[-1].text
    listing = chat.say("/list")[0].text
    assert "新备注" in listing and "旧备注" not in listing
    assert listing.count(YT) == 1
    assert "新的" in chat.say(f"/rename {YT} 新的")[0].text
    assert "新的" in chat.say("/list")[0].text
    # The card's button now offers to unsubscribe.
    card = chat.say(YT)[0]
    assert card.buttons[0].action == f"unsub:{YT}"
    assert "取消订阅" in chat.say(f"/unsubscribe {YT}")[0].text
    assert "没有订阅" in chat.say(f"取消订阅 {YT}")[0].text
    assert chat.say(YT)[0].buttons[0].action == f"sub:{YT}"


def test_cap_message(make_world, upstream):
    world = make_world(kuaidi_max_subscriptions=2)
    chat = world.chat()
    for number in ("YT1234567890001", "YT1234567890002"):
        assert "已订阅" in chat.say(f"/subscribe {number}")[-1].text
    assert "最多同时订阅 2 个" in chat.say("/subscribe YT1234567890003")[-1].text
    assert "已更新" in chat.say("/subscribe YT1234567890001 改")[-1].text  # update is fine
    chat.say("/unsubscribe YT1234567890002")
    assert "已订阅" in chat.say("/subscribe YT1234567890003")[-1].text


def test_milestones_only_filters_hub_scans(world, upstream):
    upstream.set_track(YT, 2, timeline(PICKUP))
    chat = world.chat()
    assert "重要节点" in chat.say(f"/subscribe {YT} 书 milestones")[-1].text
    assert "⭐" in chat.say("/list")[0].text and "书" in chat.say("/list")[0].text
    upstream.set_track(YT, 2, timeline(PICKUP, HUB))
    assert world.advance_and_round(hours=24) == []  # a hub scan is not a milestone
    upstream.set_track(YT, 3, timeline(PICKUP, HUB, STATION, OUT))
    pushes = world.advance_and_round(hours=6)
    assert [p.reply.card.status for p in pushes] == [3]
    upstream.set_track(YT, 4, timeline(PICKUP, HUB, STATION, OUT, SIGNED))
    assert [p.reply.card.status for p in world.advance_and_round(hours=2)] == [4]


def test_unreachable_chat_stops_polling(world, upstream):
    upstream.set_track(YT, 2, timeline(PICKUP))
    world.chat("c9", "u9").say(f"/subscribe {YT}")
    world.sender.blocked.add("c9")
    upstream.set_track(YT, 3, timeline(PICKUP, OUT))
    assert world.advance_and_round(hours=24) == []  # refused: the runtime calls back
    calls = len(upstream.requests_for(YT))
    upstream.set_track(YT, 4, timeline(PICKUP, OUT, SIGNED))
    world.advance_and_round(hours=24)
    assert len(upstream.requests_for(YT)) == calls  # nobody to tell: not polled
    assert "已暂停" not in world.chat("c9", "u9").say("/list")[0].text  # resumed on use


def test_final_parcel_is_not_subscribed(world, upstream):
    upstream.set_track(ZT, 4, timeline(PICKUP, SIGNED))
    replies = world.chat().say(f"/subscribe {ZT}")
    assert replies[0].card.status == 4 and "无需订阅" in replies[-1].text


def test_subscribe_while_upstream_down_then_first_poll_shows_state(world, upstream):
    upstream.set_gateway_error(YT, 503, "Service Unavailable")
    replies = world.chat().say(f"/subscribe {YT}")
    assert "稍后" in replies[-1].text
    upstream.reset()
    upstream.set_track(YT, 2, timeline(PICKUP))
    pushes = world.round()
    assert len(pushes) == 1 and [e.text for e in pushes[0].reply.card.events] == [PICKUP[1]]


def test_status_for_admins(world, upstream):
    upstream.set_track(YT, 2, timeline(PICKUP))
    world.chat().say(f"/subscribe {YT}")
    world.chat().say(YT)  # a cache hit
    assert "管理员" in world.chat().say("/status")[0].text
    text = world.chat("c1", "admin").say("/status")[0].text
    assert "活跃订阅：1" in text and "缓存命中率：50%" in text and "上游正常" in text
    upstream.set_quota_exhausted(YT)
    world.advance_and_round(hours=24)
    assert "配额已用完" in world.chat("c1", "admin").say("/status")[0].text
    assert ADMIN == "test:admin"


def test_group_quiet_hours_defer_pushes(world, upstream, clock):
    from bot.subscriptions import QuietHours

    world.poller.pushes.quiet = QuietHours.parse("23:00-07:30")
    upstream.set_track(YT, 2, timeline(PICKUP))
    world.chat("g1", "alice", is_group=True).say(f"/subscribe {YT}", addressed=True)
    world.chat("c1", "bob").say(f"/subscribe {YT}")
    upstream.set_track(YT, 2, timeline(PICKUP, HUB))
    clock.advance(hours=15, minutes=30)  # 23:30 China time
    world.round(all_numbers=True)
    assert [s.target.chat_id for s in world.sender.sent] == ["c1"]  # the group waits
    clock.advance(hours=8)  # 07:30
    assert [s.target.chat_id for s in world.round()] == ["g1"]
