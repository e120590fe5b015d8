"""Subscriptions followed by Kuaidi100's push instead of polling, through the real engine, web
route, worker, poller and outbox on both databases: registration once (with the SF phone
tail), no polls, callbacks valid / forged / replayed / out of order / shutdown / abort /
carrier corrected, and the check poll of a silent push parcel."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.runtime.schema import inbox
from bot.subscriptions.schema import parcels
from tests.fakes.kuaidi100_server import CALLBACK_PATH, FakeKuaidi100
from tests.support.world import YT

PICKUP = ("2026-01-01 07:30:00", "【泉州市】【福建营销部】已揽收")
HUB = ("2026-01-01 23:10:00", "【泉州市】快件离开【泉州中转部】已发往【杭州中转部】")
OUT = ("2026-01-02 08:20:00", "【杭州市】【杭州西湖营业部】快递员正在派件")
SIGNED = ("2026-01-02 10:05:00", "【杭州市】已签收，签收人：本人")
SF = "SF1524097970481"


def timeline(*events):
    return list(reversed(events))


@pytest.fixture
def k100():
    with FakeKuaidi100() as server:
        yield server


@pytest.fixture
def push_world(make_world, upstream, k100):
    """Aliyun answers lookups and polls; Kuaidi100 follows subscribed parcels by push."""
    upstream.set_track(YT, 2, timeline(PICKUP), kdmc="圆通速递")
    k100.set_track(YT, 1, timeline(PICKUP), com="yuantong")
    return make_world(**k100.settings_values(), kuaidi_providers="aliyun,kuaidi100")


def deliver(world, form, path=CALLBACK_PATH):
    """Post a callback through the real Flask app, then let the worker handle it."""
    response = world.app.flask.test_client().post(path, data=form)
    world.runtime.process_pending()
    return response


def inbox_rows(world) -> int:
    with world.core.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(inbox)).scalar()


def parcel(world, number=YT):
    with world.core.db.engine.connect() as conn:
        return conn.execute(select(parcels).where(parcels.c.number == number)).first()


def test_subscribe_registers_once_and_stops_polling(push_world, upstream, k100):
    push_world.chat().say(f"/subscribe {YT}")
    push_world.chat("c2", "u2").say(f"/subscribe {YT}")
    assert len(k100.subscriptions_for(YT)) == 1
    param = k100.subscriptions_for(YT)[0].param
    assert param["company"] == "yuantong" and param["parameters"]["callbackurl"].endswith(
        CALLBACK_PATH
    )
    admin = push_world.chat("c1", "admin").say("/status")[0].text
    assert "📮 快递100 推送跟踪的单号：push 1" in admin
    metrics = push_world.app.flask.test_client().get("/metrics").get_data(as_text=True)
    assert 'kuaidi_upstream_push_parcels{kind="push"} 1' in metrics
    lookups = len(upstream.requests_for(YT))
    assert push_world.advance_and_round(hours=20) == []
    assert len(upstream.requests_for(YT)) == lookups  # not polled while pushed
    assert k100.queries_for(YT) == []


def test_sf_phone_tail_is_passed_as_phone(push_world, upstream, k100):
    upstream.set_track(SF, 2, timeline(PICKUP), kdmc="顺丰速运")
    push_world.chat().say(f"/subscribe {SF} 1234")
    assert k100.subscriptions_for(SF)[0].param["parameters"]["phone"] == "1234"


def test_valid_callback_pushes_replay_and_forgery_do_nothing(push_world, k100):
    push_world.chat().say(f"/subscribe {YT}")
    k100.set_track(YT, 0, timeline(PICKUP, HUB), com="yuantong")
    form = k100.callback_form(YT)
    response = deliver(push_world, form)
    assert response.status_code == 200
    assert response.get_json() == {"result": True, "returnCode": "200", "message": "成功"}
    pushes = push_world.round()
    assert len(pushes) == 1 and [e.text for e in pushes[0].reply.card.events] == [HUB[1]]

    rows = inbox_rows(push_world)
    assert deliver(push_world, form).status_code == 200  # replayed: answered, no effect
    assert inbox_rows(push_world) == rows and push_world.round() == []

    k100.set_track(YT, 5, timeline(PICKUP, HUB, OUT), com="yuantong")
    for forged in (
        k100.callback_form(YT, forged=True),
        {"param": k100.callback_form(YT)["param"]},  # no sign
    ):
        assert deliver(push_world, forged).status_code == 403
    good = k100.callback_form(YT)
    assert deliver(push_world, good, "/kuaidi100/callback/not-the-secret").status_code == 403
    assert inbox_rows(push_world) == rows and push_world.round() == []
    assert parcel(push_world).status == 2  # unchanged by forgeries

    lowered = {**good, "sign": good["sign"].lower()}  # the sign's case does not matter
    assert deliver(push_world, lowered).status_code == 200
    assert push_world.round()[0].reply.card.status == 3


def test_an_older_snapshot_after_a_newer_one_does_not_roll_back(push_world, k100):
    push_world.chat().say(f"/subscribe {YT}")
    older = k100.callback_form(YT, track=_track(k100, 0, PICKUP, HUB))
    newer = k100.callback_form(YT, track=_track(k100, 5, PICKUP, HUB, OUT))
    deliver(push_world, newer)
    assert len(push_world.round()) == 1
    deliver(push_world, older)
    assert push_world.round() == []
    row = parcel(push_world)
    assert row.status == 3 and OUT[1] in row.events


def test_shutdown_is_final(push_world, upstream, k100):
    chat = push_world.chat()
    chat.say(f"/subscribe {YT}")
    deliver(push_world, k100.callback_form(YT, status="shutdown",
                                           track=_track(k100, 3, PICKUP, SIGNED)))
    pushes = push_world.round()
    assert len(pushes) == 1 and pushes[0].reply.card.status == 4
    assert parcel(push_world).state == "final"
    calls = len(upstream.requests_for(YT))
    assert push_world.advance_and_round(hours=48) == []
    assert len(upstream.requests_for(YT)) == calls
    assert "已结束" in chat.say("/list")[0].text


def test_abort_goes_back_to_polling(push_world, upstream, k100):
    push_world.chat().say(f"/subscribe {YT}")
    calls = len(upstream.requests_for(YT))
    deliver(push_world, k100.callback_form(YT, status="abort", message="3天查询无记录"))
    upstream.set_track(YT, 2, timeline(PICKUP, HUB), kdmc="圆通速递")
    pushes = push_world.round()
    assert len(upstream.requests_for(YT)) == calls + 1  # polled at once
    assert [e.text for e in pushes[0].reply.card.events] == [HUB[1]]
    push_world.advance_and_round(hours=24)
    assert len(upstream.requests_for(YT)) > calls + 1  # and on its schedule after that


def test_carrier_correction_updates_the_parcel_and_tells_subscribers(push_world, k100):
    push_world.chat().say(f"/subscribe {YT}")
    form = k100.callback_form(
        YT, status="abort", com_new="zhongtong", track=_track(k100, 1, PICKUP, com="zhongtong")
    )
    deliver(push_world, form)
    sent = push_world.round()
    assert len(sent) == 1 and "快递公司已更正为" in sent[0].reply.text
    assert "中通" in sent[0].reply.text
    row = parcel(push_world)
    assert row.carrier == "zhongtong" and row.state == "active"
    deliver(push_world, form)  # the same news again: nobody is told twice
    assert push_world.round() == []


def test_a_silent_push_parcel_is_polled_once_as_a_check(push_world, upstream):
    push_world.chat().say(f"/subscribe {YT}")
    calls = len(upstream.requests_for(YT))
    push_world.advance_and_round(hours=23)
    assert len(upstream.requests_for(YT)) == calls
    upstream.set_track(YT, 2, timeline(PICKUP, HUB), kdmc="圆通速递")
    pushes = push_world.advance_and_round(hours=2)
    assert len(upstream.requests_for(YT)) == calls + 1  # one check poll …
    assert len(pushes) == 1  # … whose news reaches the chat like a push
    push_world.advance_and_round(hours=20)
    assert len(upstream.requests_for(YT)) == calls + 1  # then it waits for the push again


def test_a_refused_registration_keeps_polling(push_world, upstream, k100):
    k100.push_code(YT, "701", "拒绝订阅的快递公司")
    push_world.chat().say(f"/subscribe {YT}")
    calls = len(upstream.requests_for(YT))
    push_world.advance_and_round(hours=24)
    assert len(upstream.requests_for(YT)) > calls


def test_registration_in_a_kuaidi100_outage_polls_and_retries_later(push_world, upstream, k100):
    k100.mode = "down"
    push_world.chat().say(f"/subscribe {YT}")
    calls = len(upstream.requests_for(YT))
    push_world.advance_and_round(hours=24)
    assert len(upstream.requests_for(YT)) > calls  # not lost: polled
    k100.mode = "up"
    push_world.chat("c2", "u2").say(f"/subscribe {YT}")
    assert len(k100.subscriptions_for(YT)) == 2  # asked again, now accepted


def _track(k100: FakeKuaidi100, state: int, *events, com: str = "yuantong") -> dict:
    from tests.fakes.kuaidi100_server import tracking_object

    return tracking_object(YT, com, state, timeline(*events))
