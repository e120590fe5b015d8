"""Every answer built from demo data says so: cards, the no-record sentence, /list and
subscription pushes, in both languages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from adapters.assembly import build_application
from bot.clock import FakeClock
from bot.models import Incoming, reply_from_dict
from bot.render import render_text
from bot.runtime.schema import outbox
from bot.settings import Settings
from bot.texts import t
from tests.app.test_console import console_session

#: The demo provider has no record yet for this number (its story is seeded by the number).
NO_RECORD = "YT1234567890101"
MOVING = "YT1234567890104"  # in transit


def test_no_record_answer_and_list_carry_the_demo_label(tmp_path):
    text = console_session(tmp_path, [NO_RECORD, f"/subscribe {MOVING}", "/list"])
    answers = text.split("你> ")[1:4]
    assert "还没有物流记录" in answers[0] and t("demo_note", "zh") in answers[0]
    assert "📋" in answers[2] and t("demo_note", "zh") in answers[2]


def test_the_whole_history_of_demo_data_carries_the_label(tmp_path):
    text = console_session(tmp_path, [f"/history {MOVING}"])
    [answer] = text.split("你> ")[1:2]
    assert "📜" in answer and t("demo_note", "zh") in answer


def test_demo_pushes_carry_the_label(tmp_path):
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        redis_url=None,
        kuaidi_poll_min_interval=0,
        kuaidi_cache_ttl=0,
        kuaidi_push_window=0,
    )
    clock = FakeClock(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))
    app = build_application(settings, clock=clock, worker_threads=0, sender_threads=0)
    try:
        numbers = [f"YT12345678901{i:02d}" for i in range(20, 40)]
        for number in numbers:
            app.core.engine.handle(Incoming("test", "c1", "u1", "1", f"/subscribe {number}"))
        before = outbox_texts(app)
        clock.advance(days=2)  # demo timelines move once a day
        app.poller.run_once(all_numbers=True)
        pushes = outbox_texts(app)[len(before) :]
    finally:
        app.stop()
    assert pushes and all(t("demo_note", "zh") in push for push in pushes)


def outbox_texts(app) -> list[str]:
    with app.core.db.engine.begin() as conn:
        rows = conn.execute(select(outbox.c.payload).order_by(outbox.c.id)).all()
    return [render_text(reply_from_dict(json.loads(row.payload))) for row in rows]
