"""The console chat as a user types it: the README's first conversation, on demo data."""

from __future__ import annotations

import io
import re

from adapters.assembly import build_application
from adapters.console import ConsoleSender, run_console
from bot.models import Reply, Target
from bot.settings import Settings
from bot.texts import t


def console_session(tmp_path, lines: list[str], **settings) -> str:
    """The console as `kuaidi-bot console` wires it (subscriptions included), fed `lines`."""
    values = {"data_dir": tmp_path, "kuaidi_appcode": None, "redis_url": None, **settings}
    output = io.StringIO()
    sender = ConsoleSender(output)
    app = build_application(
        Settings(_env_file=None, **values),
        worker_threads=0,
        sender_threads=0,
        extra_senders={"console": sender},
        adapters=[],
    )
    try:
        run_console(
            app.core.engine,
            demo=app.settings.demo,
            input=io.StringIO("\n".join(lines)),
            output=output,
            sender=sender,
        )
    finally:
        app.stop()
    return output.getvalue()


def test_readme_conversation_on_demo_data(tmp_path):
    text = console_session(
        tmp_path, ["帮我查下 SF1524097970481 和 YT1234567890123，谢谢", "1234", "/quit", "later"]
    )
    assert "演示模式 DEMO MODE" in text  # labelled as demo before anything else
    first, second = text.split("你> ")[1:3]
    assert "YT1234567890123" in first and "圆通" in first
    assert "后4位" in first and "SF1524097970481" in first
    assert "SF1524097970481" in second and "顺丰" in second and "演示数据" in second
    assert "later" not in text  # /quit ended the session


def test_tail_written_as_weihao(tmp_path):
    text = console_session(tmp_path, ["SF1524097970481", "尾号1234"])
    assert "📦 顺丰" in text.split("你> ")[2]


def test_console_sender_prints_pushes():
    output = io.StringIO()
    sender = ConsoleSender(output)
    result = sender.send(Target("console", "console"), Reply(text="📦 有新动态"), "k1")
    assert result.ok and "有新动态" in output.getvalue()


def test_tail_dialogue_transcript_in_chinese(tmp_path):
    """The first-contact session from issue 14, typed into the console."""
    text = console_session(
        tmp_path,
        [
            "SF4444444444444",  # asks for the tail
            "/track SF4444444444444 1234",  # answers: the question closes
            "5678",  # no longer a tail: no second query
            "SF3333333333333 12345",  # five digits are no tail: asks
            "13812345678",  # a full mobile number: its last four
            "SF5555555555555",
            "我的快递呢",  # unrelated: one reminder
            "我的快递呢",  # then the usual answer
            "取消",
        ],
    )
    answers = text.split("你> ")[1:10]
    assert "后4位" in answers[0]
    assert "📦 顺丰" in answers[1]
    assert "📦" not in answers[2] and "后4位" not in answers[2]
    assert "后4位" in answers[3] and "📦" not in answers[3]
    assert "📦 顺丰" in answers[4] and "SF3333333333333" in answers[4]
    assert "还在等 SF5555555555555" in answers[6]
    assert "还在等" not in answers[7] and "没有在消息里找到快递单号" in answers[7]
    assert "不再等 SF5555555555555" in answers[8]


def test_tail_dialogue_transcript_in_english(tmp_path):
    """The same first contact in English: every answer in English, never 顺丰 or 客服."""
    text = console_session(
        tmp_path,
        [
            "please track SF4444444444444",
            "/track SF4444444444444 1234",
            "5678",
            "SF3333333333333 12345",
            "13812345678",
            "SF5555555555555",
            "where is it",
            "where is it",
            "cancel",
        ],
    )
    answers = text.split("你> ")[1:10]
    assert "SF Express number SF4444444444444" in answers[0]
    assert "📦 SF Express SF4444444444444" in answers[1] and "☎ Hotline" in answers[1]
    assert "📦" not in answers[2] and "found no waybill" in answers[2]
    assert "last 4 digits" in answers[3]
    assert "📦 SF Express SF3333333333333" in answers[4]
    assert "Still waiting" in answers[6] and "SF5555555555555" in answers[6]
    assert "Still waiting" not in answers[7] and "found no waybill" in answers[7]
    assert "no longer waiting" in answers[8]
    for answer in answers:  # scan lines (upstream's event texts, indented) stay as sent
        for line in answer.splitlines():
            if not line.startswith("  ") and "DEMO" not in line:
                assert not re.search(r"[\u4e00-\u9fff]", line), line


def test_english_no_record_answer_carries_the_english_label(tmp_path):
    text = console_session(tmp_path, ["/lang en", "YT1234567890101"])
    assert "no tracking records yet" in text and t("demo_note", "en") in text
