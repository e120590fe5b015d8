"""The client's bounds on one lookup: a size limit on answers and a total deadline.

Nothing here times anything: a bound shows as what the fake upstream counted (requests made,
bytes written before the client hung up), which is the same on a busy machine.
"""

from __future__ import annotations

import json
import time

import pytest

from bot.upstream import BadResponse, UnexplainedRefusal, UpstreamUnavailable
from tests.fakes.upstream_server import track_body

N = "YT1234567890123"


def _events(count: int) -> list[tuple[str, str]]:
    text = "第 {} 站 快件已到达【中转部】"
    return [(f"2026-01-01 {h % 24:02d}:00:00", text.format(h)) for h in range(count)]


def _wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_answer_over_the_size_limit_is_refused_unread(fake_upstream, make_client, chunked):
    client = make_client(kuaidi_max_body_bytes=100_000)
    body = json.dumps(track_body(N, 2, _events(20_000)), ensure_ascii=False).encode()
    assert len(body) > 1_000_000
    if chunked:
        fake_upstream.set_streamed(N, body)
    else:
        fake_upstream.set_response(N, 200, body)

    with pytest.raises(BadResponse, match="larger than 100000 bytes"):
        client.track(N)

    assert len(fake_upstream.requests) == 1  # billed once, never asked again
    assert client.stats["billed_calls"] == 1
    if chunked:  # read up to the limit, then hung up: the rest was never taken
        assert _wait_for(lambda: fake_upstream.cut_answers)
        assert fake_upstream.cut_answers[0] < len(body)


def test_an_answer_under_the_limit_is_read_whole(fake_upstream, make_client):
    client = make_client(kuaidi_max_body_bytes=100_000)
    fake_upstream.set_streamed(N, track_body(N, 2, _events(50)))
    assert len(client.track(N).events) == 50


def test_a_slow_drip_ends_at_the_deadline_not_at_the_read_timeout(fake_upstream, make_client):
    # One byte every 50 ms never trips the 2 s read timeout; only a total deadline stops it.
    client = make_client(kuaidi_timeout=2, kuaidi_deadline=1)
    body = json.dumps(track_body(N, 2, _events(5)), ensure_ascii=False).encode()
    fake_upstream.set_streamed(N, body, drip=0.05)

    with pytest.raises(UpstreamUnavailable, match="deadline"):
        client.track(N)

    assert len(fake_upstream.requests) == 1  # the deadline has passed: no retry
    assert _wait_for(lambda: fake_upstream.cut_answers)
    assert fake_upstream.cut_answers[0] < len(body)


def test_an_upstream_that_never_answers_is_not_retried_past_the_deadline(
    fake_upstream, make_client
):
    client = make_client(kuaidi_timeout=2, kuaidi_deadline=3, kuaidi_retries=2)
    fake_upstream.set_response(N, delay=30, body=track_body(N))

    with pytest.raises(UpstreamUnavailable, match="timed out"):
        client.track(N)

    # Without the deadline: three attempts of 2 s each. With it, a second attempt could not
    # finish in the second left, so none is made.
    assert len(fake_upstream.requests) == 1
    assert client.stats["retries"] == 0


def test_a_refusal_without_a_reason_is_its_own_error(fake_upstream, client):
    fake_upstream.set_response(N, 666, {})
    with pytest.raises(UnexplainedRefusal) as caught:
        client.track(N)
    assert caught.value.sentence == "err_refused"
    assert caught.value.temporary


def test_ok_as_a_json_boolean_is_a_success(fake_upstream, client):
    fake_upstream.set_response(N, 200, {**track_body(N, 4, _events(1)), "ok": True})
    assert len(client.track(N).events) == 1
