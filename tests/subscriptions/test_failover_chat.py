"""Fail-over as a user and an admin see it, through the real engine, /status and /metrics:
the Aliyun fake goes down mid-run, cards keep coming from Kuaidi100 with nothing unusual in
them; it comes back, and after the back-off the answers come from Aliyun again."""

from __future__ import annotations

import pytest

from tests.fakes.kuaidi100_server import FakeKuaidi100

NUMBERS = ["YT1234567890123", "YT1234567890124", "YT1234567890125", "YT1234567890126"]
PICKUP = ("2026-01-01 07:30:00", "【泉州市】【福建营销部】已揽收")


@pytest.fixture
def k100():
    with FakeKuaidi100() as server:
        yield server


def test_cards_keep_coming_through_an_outage_and_traffic_moves_back(
    make_world, upstream, k100, clock
):
    world = make_world(
        **k100.settings_values(), kuaidi_providers="aliyun,kuaidi100", kuaidi_failover_backoff=300
    )
    for number in NUMBERS:
        upstream.set_track(number, 2, [PICKUP], kdmc="圆通速递")
        k100.set_track(number, 0, [PICKUP], com="yuantong")
    chat = world.chat()

    first = chat.say(NUMBERS[0])
    assert first[0].card is not None and len(upstream.requests_for(NUMBERS[0])) == 1

    upstream.mode = "down"
    during = chat.say(NUMBERS[1])
    assert len(during) == 1 and during[0].card is not None  # an ordinary card, no apology
    assert during[0].card.events[0].text == PICKUP[1] and during[0].card.status == 2
    assert during[0].card.carrier_name == first[0].card.carrier_name
    assert len(k100.queries_for(NUMBERS[1])) == 1

    admin = world.chat("c1", "admin")
    status = admin.say("/status")[0].text
    assert "🔌 aliyun：今日调用 2，回答 1 次，暂停中（unavailable" in status
    assert "🔌 kuaidi100：今日调用 1，回答 1 次" in status and "aliyun_unavailable 1" in status
    metrics = world.app.flask.test_client().get("/metrics").get_data(as_text=True)
    assert 'kuaidi_upstream_answers{kind="kuaidi100"} 1' in metrics
    assert 'kuaidi_upstream_failovers{kind="aliyun_unavailable"} 1' in metrics
    assert 'kuaidi_upstream_calls_today{kind="aliyun"} 2' in metrics

    upstream.mode = "up"
    chat.say(NUMBERS[2])
    assert upstream.requests_for(NUMBERS[2]) == []  # still resting: not asked per message
    clock.advance(301)
    back = chat.say(NUMBERS[3])
    assert back[0].card is not None and len(upstream.requests_for(NUMBERS[3])) == 1
    assert k100.queries_for(NUMBERS[3]) == []
    assert "暂停中" not in admin.say("/status")[0].text


def test_kuaidi100_alone_asks_for_the_carrier_when_it_cannot_tell(make_world, k100):
    world = make_world(**k100.settings_values(), kuaidi_providers="kuaidi100")
    replies = world.chat().say("/track 9988776655443322")
    assert "哪家快递" in replies[-1].text and "9988776655443322" in replies[-1].text
    assert k100.requests == []  # not asked: it needs a carrier code
    k100.set_track("9988776655443322", 0, [PICKUP], com="zhongtong")
    replies = world.chat().say("中通 9988776655443322")
    assert replies[0].card is not None and replies[0].card.events[0].text == PICKUP[1]
