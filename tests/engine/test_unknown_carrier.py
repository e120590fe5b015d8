"""Unknown or tied carriers are tracked without `code`, answered with the upstream's carrier,
and the answers teach the ranking (learned table on SQLite and PostgreSQL)."""

from __future__ import annotations

from itertools import islice

import pytest

from adapters.assembly import build_core
from bot.render import render_text
from bot.waybills import find_waybills
from bot.waybills.learned import MIN_ANSWERS
from tests.support.chat import Chat


def _undecided(count: int) -> list[str]:
    """12-digit numbers starting 640 (a Korean-style pattern) that no format decides: none
    passes a check digit by chance, so the local ranking has no carrier worth a `code`."""
    numbers = (f"640{i:09d}" for i in range(13_579, 10**9, 7_919))
    # Lazily: the first few are found at once; judging all 126,000 took seconds per collection.
    found = (n for n in numbers if find_waybills(f"查一下快递 {n}")[0].decided is None)
    return list(islice(found, count))


UNFAMILIAR, *SAME_PATTERN = _undecided(1 + MIN_ANSWERS + 1)


@pytest.fixture
def plain_core(upstream, db_url, clock, tmp_path):
    """The real core, with only the track endpoint configured (no identify endpoint)."""
    settings = upstream.settings(
        database_url=db_url, data_dir=tmp_path, kuaidi_retries=1, kuaidi_identify_path=None
    )
    core = build_core(settings, clock=clock)
    yield core
    core.close()


def test_unfamiliar_number_in_a_request_is_tracked_without_code(plain_core, upstream):
    upstream.set_track(UNFAMILIAR, 2, [("2026-11-30 10:00:00", "已到达仁川")], kdmc="大韩通运")
    replies = Chat(plain_core.engine).say(f"麻烦帮我查一下快递 {UNFAMILIAR} 到哪了，谢谢")
    (request,) = upstream.requests_for(UNFAMILIAR)
    assert "code" not in request.query
    text = "\n".join(render_text(r) for r in replies)
    assert "大韩通运" in text and "已到达仁川" in text


def test_a_bare_number_in_a_private_chat_is_tracked(plain_core, upstream):
    upstream.set_track(UNFAMILIAR, 2, [("2026-11-30 10:00:00", "已到达仁川")], kdmc="大韩通运")
    replies = Chat(plain_core.engine).say(UNFAMILIAR)
    assert "大韩通运" in render_text(replies[0])
    assert upstream.requests_for(UNFAMILIAR)


def test_tied_carriers_send_no_code(plain_core, upstream):
    # 12 digits passing both the SF and the FedEx check fit equally: no carrier is picked.
    number = "820013579045"
    found = plain_core.lookup.detect(f"查下 {number}")
    assert found and found[0].decided is None
    upstream.set_track(number, 2, [("2026-11-30 10:00:00", "运输中")], kdmc="中通快递")
    Chat(plain_core.engine).say(f"查下 {number}")
    assert "code" not in upstream.requests_for(number)[0].query


def test_answers_teach_the_ranking(plain_core, upstream):
    lookup = plain_core.lookup
    assert lookup.detect(SAME_PATTERN[-1])[0].decided is None
    chat = Chat(plain_core.engine)
    for number in SAME_PATTERN[:MIN_ANSWERS]:
        upstream.set_track(number, 2, [("2026-11-30 10:00:00", "已揽收")], kdmc="大韩通运")
        chat.say(f"查一下快递 {number}")
        assert "code" not in upstream.requests_for(number)[0].query
    learned = lookup.detect(SAME_PATTERN[-1])[0]
    assert learned.carrier == "cjkoreaexpress" and learned.decided == "cjkoreaexpress"
    # The next number of the pattern is sent with the learned carrier's code.
    upstream.set_track(SAME_PATTERN[-1], 2, [("2026-11-30 10:00:00", "已揽收")], kdmc="大韩通运")
    chat.say(f"查一下快递 {SAME_PATTERN[-1]}")
    (request,) = upstream.requests_for(SAME_PATTERN[-1])
    assert request.query.get("code") == plain_core.registry.vendor_code("cjkoreaexpress")


def test_a_refused_guess_is_answered_with_the_carrier_named(plain_core, upstream):
    number = "YT" + "8812345678906"  # YTO's format; the upstream says it is another carrier
    upstream.push_response(number, 666, {"ok": 0, "msg": "单号不存在", "status": 0, "data": []})
    upstream.set_track(number, 2, [("2026-11-30 10:00:00", "已揽收")], kdmc="韵达快递")
    replies = Chat(plain_core.engine).say(f"查 {number}")
    first, second = upstream.requests_for(number)
    assert "code" in first.query and "code" not in second.query
    assert "韵达" in render_text(replies[0])
    counts = plain_core.lookup.patterns.load().counts
    assert counts[("YT", 15)] == {"yunda": 1}
