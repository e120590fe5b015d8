"""Fail-over between the Aliyun fake and the Kuaidi100 fake, through `build_provider`: answers
keep coming while the preferred provider is down or out of quota, traffic moves back after
the back-off (a FakeClock: no sleeps), errors about the number are not asked twice, and the
counters say who answered and why."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.tracking import Status
from bot.upstream import InvalidNumber, UpstreamUnavailable, build_provider
from bot.upstream.failover import FailoverProvider
from tests.fakes.kuaidi100_server import FakeKuaidi100
from tests.fakes.upstream_server import FakeUpstream

ZT = "78627000000758"
EVENTS = [("2026-01-01 07:30:00", "【泉州市】已揽收")]


@pytest.fixture
def servers():
    with FakeUpstream() as aliyun, FakeKuaidi100() as k100:
        aliyun.set_track(ZT, 2, EVENTS)
        k100.set_track(ZT, 0, EVENTS, com="zhongtong")
        yield aliyun, k100


def _provider(servers, clock, order="aliyun,kuaidi100"):
    aliyun, k100 = servers
    settings = aliyun.settings(
        **k100.settings_values(),
        kuaidi_providers=order,
        kuaidi_retries=0,
        kuaidi_cache_ttl=0,
        kuaidi_failover_backoff=60,
    )
    return build_provider(settings, clock=clock)


def test_down_primary_fails_over_and_traffic_moves_back_after_backoff(servers):
    aliyun, k100 = servers
    clock = FakeClock()
    provider = _provider(servers, clock)
    assert isinstance(provider.inner, FailoverProvider)
    assert provider.track(ZT, "zhongtong", fresh=True).status == Status.IN_TRANSIT
    assert len(aliyun.requests_for(ZT)) == 1 and k100.queries_for(ZT) == []

    aliyun.mode = "down"
    for _ in range(3):  # the user sees ordinary answers
        result = provider.track(ZT, "zhongtong", fresh=True)
        assert result.status == Status.IN_TRANSIT and result.events[0].text == EVENTS[0][1]
    assert len(aliyun.requests_for(ZT)) == 2  # asked once, then rested, not asked per message
    assert len(k100.queries_for(ZT)) == 3

    aliyun.mode = "up"
    provider.track(ZT, "zhongtong", fresh=True)
    assert len(aliyun.requests_for(ZT)) == 2  # still resting
    clock.advance(61)
    provider.track(ZT, "zhongtong", fresh=True)
    assert len(aliyun.requests_for(ZT)) == 3  # back to the preferred provider
    assert len(k100.queries_for(ZT)) == 4

    stats = provider.stats
    assert stats["answers"] == {"aliyun": 2, "kuaidi100": 4}
    assert stats["failovers"] == {"aliyun_unavailable": 1}


def test_back_off_doubles_while_the_provider_keeps_failing(servers):
    aliyun, _ = servers
    clock = FakeClock()
    provider = _provider(servers, clock)
    aliyun.mode = "quota"
    provider.track(ZT, "zhongtong", fresh=True)
    clock.advance(61)
    provider.track(ZT, "zhongtong", fresh=True)  # tried again: still out of quota
    assert len(aliyun.requests_for(ZT)) == 2
    clock.advance(61)
    provider.track(ZT, "zhongtong", fresh=True)  # resting 120 s now
    assert len(aliyun.requests_for(ZT)) == 2
    health = provider.inner.health()
    assert health[0].name == "aliyun" and health[0].failures_in_row == 2
    assert health[0].last_error == "quota" and health[0].resting_for == 59
    assert provider.stats["failovers"] == {"aliyun_quota": 2}


def test_kuaidi100_first_falls_back_to_aliyun_and_for_numbers_without_a_carrier(servers):
    aliyun, k100 = servers
    provider = _provider(servers, FakeClock(), order="kuaidi100,aliyun")
    provider.track(ZT, "zhongtong", fresh=True)
    assert len(k100.queries_for(ZT)) == 1 and aliyun.requests_for(ZT) == []
    provider.track(ZT, None, fresh=True)  # Kuaidi100 needs a carrier: Aliyun answers
    assert len(aliyun.requests_for(ZT)) == 1
    k100.mode = "down"
    assert provider.track(ZT, "zhongtong", fresh=True).status == Status.IN_TRANSIT
    assert len(aliyun.requests_for(ZT)) == 2
    # Not having a carrier code is no fault of Kuaidi100's: only the outage rests it.
    assert provider.stats["failovers"] == {
        "kuaidi100_unsupported_carrier": 1,
        "kuaidi100_unavailable": 1,
    }


def test_an_error_about_the_number_is_not_asked_twice(servers):
    aliyun, k100 = servers
    provider = _provider(servers, FakeClock())
    aliyun.set_failure(ZT, "单号不正确")
    with pytest.raises(InvalidNumber):
        provider.track(ZT, "zhongtong", fresh=True)
    assert k100.queries_for(ZT) == []


def test_all_down_raises_the_preferred_providers_error_then_tries_the_least_resting(servers):
    aliyun, k100 = servers
    clock = FakeClock()
    provider = _provider(servers, clock)
    aliyun.mode = k100.mode = "down"
    with pytest.raises(UpstreamUnavailable):
        provider.track(ZT, "zhongtong", fresh=True)
    with pytest.raises(UpstreamUnavailable):
        provider.track(ZT, "zhongtong", fresh=True)
    # Both rest: only the one whose rest ends first (Aliyun, failed first) was asked again.
    assert len(aliyun.requests_for(ZT)) == 2 and len(k100.queries_for(ZT)) == 1


def test_one_provider_is_used_without_a_failover_wrapper(servers):
    provider = _provider(servers, FakeClock(), order="kuaidi100")
    assert not isinstance(provider.inner, FailoverProvider)
    assert provider.track(ZT, "zhongtong").carrier_code == "zhongtong"
