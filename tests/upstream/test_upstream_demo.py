"""DemoProvider and build_provider: deterministic invented data, never presented as real."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.settings import Settings
from bot.tracking import Status
from bot.upstream import (
    ApiClient,
    CachedProvider,
    DemoProvider,
    InvalidNumber,
    MemoryResultCache,
    PhoneRequired,
    RedisResultCache,
    TrackingProvider,
    build_provider,
)

START = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 in China
NUMBERS = [f"YT{7000000000000 + i * 7919}" for i in range(200)]


@pytest.fixture
def demo() -> DemoProvider:
    return DemoProvider(carrier_name=lambda code: f"name:{code}", clock=FakeClock(START))


def test_same_number_same_story_and_always_marked_demo(demo):
    assert isinstance(demo, TrackingProvider)
    for number in NUMBERS[:20]:
        first = demo.track(number)
        assert demo.track(number) == first
        assert first.demo is True
        assert first.carrier_name == f"name:{first.carrier_code}"


def test_timelines_are_plausible(demo):
    now = START
    statuses = Counter()
    for number in NUMBERS:
        result = demo.track(number)
        statuses[result.status] += 1
        if result.status is Status.NO_RECORD:
            assert result.events == ()
            continue
        assert 2 <= len(result.events) <= 8
        times = [e.time for e in result.events]
        assert all(t is not None and t.tzinfo is not None for t in times)
        assert times == sorted(times, reverse=True) and times[0] <= now
        assert now - times[0] < timedelta(days=1)
        assert all("【" in e.text for e in result.events)
        if result.status is Status.DELIVERED:
            assert "签收" in result.events[0].text
    assert set(statuses) == {
        Status.NO_RECORD,
        Status.IN_TRANSIT,
        Status.OUT_FOR_DELIVERY,
        Status.DELIVERED,
    }
    assert statuses[Status.NO_RECORD] < 40  # "sometimes"


def test_timeline_stays_put_within_a_day_and_moves_with_the_clock():
    clock = FakeClock(START)
    demo = DemoProvider(clock=clock)
    timed = next(n for n in NUMBERS if demo.track(n).events)
    before = demo.track(timed)
    clock.advance(minutes=10)
    assert demo.track(timed) == before
    clock.advance(days=1)
    after = demo.track(timed)
    assert [e.text for e in after.events] == [e.text for e in before.events]
    assert after.events[0].time - before.events[0].time == timedelta(days=1)


def test_sf_needs_a_four_digit_tail(demo):
    with pytest.raises(PhoneRequired) as caught:
        demo.track("SF1234567890123")
    assert caught.value.user_message_key == "phone_required"
    with pytest.raises(PhoneRequired):
        demo.track("SF1234567890123", phone_tail="12")
    with pytest.raises(PhoneRequired):
        demo.track("773000000001", carrier="shunfeng")
    result = demo.track("SF1234567890123", phone_tail="0042")
    assert result.carrier_code == "shunfeng" and result.demo
    assert demo.stats["errors_phone_required"] == 3


def test_invalid_looking_numbers_are_refused(demo):
    with pytest.raises(InvalidNumber):
        demo.track("12")
    with pytest.raises(InvalidNumber):
        demo.track("not a number!")


def test_identify_and_carriers(demo):
    assert demo.identify("JT0001234567890") == [("jt", "name:jt")]
    assert demo.identify("99999999") == []
    rows, pages = demo.carriers(keyword="顺丰")
    assert [r["code"] for r in rows] == ["shunfeng"] and pages == 1
    assert demo.carriers(keyword="nothing") == ([], 0)


def _settings(**values) -> Settings:
    return Settings(_env_file=None, **{"redis_url": None, "kuaidi_demo": False, **values})


def test_build_provider_without_appcode_is_a_cached_demo():
    provider = build_provider(_settings(kuaidi_appcode=None), clock=FakeClock(START))
    assert isinstance(provider, CachedProvider)
    assert isinstance(provider.inner, DemoProvider)
    provider.track(NUMBERS[0])
    provider.track(NUMBERS[0])
    assert provider.stats["upstream_calls"] == 1 and provider.stats["cache_hits"] == 1


def test_build_provider_demo_flag_wins_over_appcode():
    provider = build_provider(_settings(kuaidi_appcode="x" * 32, kuaidi_demo=True))
    assert isinstance(provider.inner, DemoProvider)


def test_build_provider_with_appcode_uses_the_api_and_a_memory_cache():
    provider = build_provider(_settings(kuaidi_appcode="x" * 32), carrier_name=str.upper)
    assert isinstance(provider.inner, ApiClient)
    assert isinstance(provider._cache, MemoryResultCache)
    provider.inner.close()


@pytest.mark.redis
def test_build_provider_uses_redis_when_configured(redis_url):
    provider = build_provider(_settings(kuaidi_appcode=None, redis_url=redis_url))
    assert isinstance(provider._cache, RedisResultCache)
    assert provider._cache._prefix == "kuaidi:track:demo:"
