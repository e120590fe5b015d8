"""The whole application wired from settings: routes, readiness, reply shaping, CLI."""

from __future__ import annotations

import io
import json

import pytest

from adapters.assembly import build_application, merge_replies, reply_preparer
from adapters.cli import main
from bot.models import Incoming, Reply, TrackingCard
from bot.settings import Settings
from tests.fakes.upstream_server import FakeUpstream


@pytest.fixture
def demo_settings(tmp_path, db_url):
    return Settings(_env_file=None, data_dir=tmp_path, database_url=db_url, redis_url=None)


def card(number: str) -> TrackingCard:
    return TrackingCard(number, "yuantong", "圆通速递", "95554", 2, "运输中", "🚚", False)


def test_application_serves_health_readiness_and_metrics(demo_settings):
    app = build_application(demo_settings, worker_threads=0, sender_threads=0, adapters=[])
    try:
        client = app.flask.test_client()
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        assert "kuaidi" in client.get("/metrics").get_data(as_text=True)
        assert client.post("/telegram/webhook", json={}).status_code == 404
    finally:
        app.stop()


def test_merge_keeps_first_card_and_folds_the_rest():
    merged = merge_replies(
        [Reply(text="消息里有 7 个单号"), Reply(card=card("YT1")), Reply(card=card("YT2"))]
    )
    assert merged.card.number == "YT1"
    assert "7 个单号" in merged.text and "YT2" in merged.text


def test_reply_preparer_merges_only_where_the_platform_answers_once(demo_settings):
    app = build_application(demo_settings, worker_threads=0, sender_threads=0, adapters=[])

    class OnceAdapter:
        name = "once"

        @staticmethod
        def one_reply_for(message: Incoming) -> bool:
            return message.is_group

    handle = reply_preparer(app.core, [OnceAdapter()])
    text = "YT1234567890123 YT1234567890124"
    group = Incoming("once", "g", "u", "1", text, is_group=True, addressed=True)
    private = Incoming("once", "p", "u", "2", text)
    try:
        assert len(handle(group)) == 1
        assert len(handle(private)) == 2
    finally:
        app.stop()


def test_cli_detect(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"text": "单号 YT1234567890123"}\n'))
    assert main(["detect"]) == 0
    found = json.loads(capsys.readouterr().out)["found"]
    assert found[0]["number"] == "YT1234567890123" and found[0]["carrier"] == "yuantong"


def test_cli_check_fails_loudly_on_a_wrong_appcode(monkeypatch, tmp_path):
    with FakeUpstream() as upstream:
        for key, value in {
            "KUAIDI_APPCODE": "wrong-appcode",
            "KUAIDI_API_BASE": upstream.url,
            "DATA_DIR": str(tmp_path),
        }.items():
            monkeypatch.setenv(key, value)
        assert main(["check"]) != 0
        monkeypatch.setenv("KUAIDI_APPCODE", upstream.appcode)
        assert main(["check"]) == 0


def test_cli_poll_once_all_queues_a_push_for_the_running_process(monkeypatch, tmp_path):
    number = "YT1234567890123"
    with FakeUpstream() as upstream:
        env = {
            "KUAIDI_APPCODE": upstream.appcode,
            "KUAIDI_API_BASE": upstream.url,
            "DATA_DIR": str(tmp_path),
            "KUAIDI_POLL_MIN_INTERVAL": "0",
            "KUAIDI_CACHE_TTL": "0",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        upstream.set_track(number, 2, [("2026-11-01 08:00:00", "【深圳】已揽收")])
        app = build_application(Settings(), worker_threads=0, sender_threads=0, adapters=[])
        subscribe = Incoming("test", "c1", "u1", "1", f"/subscribe {number}")
        assert any("订阅" in r.text for r in app.core.engine.handle(subscribe))
        before = app.runtime.outbox.counts()
        upstream.set_track(
            number,
            3,
            [("2026-11-02 09:00:00", "【深圳】派送中"), ("2026-11-01 08:00:00", "【深圳】已揽收")],
        )
        assert main(["poll", "--once", "--all"]) == 0
        after = app.runtime.outbox.counts()
        app.stop()
    assert sum(after.values()) == sum(before.values()) + 1
