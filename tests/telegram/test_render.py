"""Rendering: escaped, well-formed Telegram HTML; the card layout; splitting under 4096."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.telegram.render import (
    MAX_TEXT_LENGTH,
    event_line,
    keyboard,
    render_messages,
    visible_length,
)
from bot.models import Button, Reply, TrackingCard, TrackingEvent
from bot.render import card_title, event_time
from tests.telegram.html_check import TelegramHTMLError, telegram_text

T0 = datetime(2026, 1, 2, 1, 0, tzinfo=UTC)


def make_card(texts: list[str], **overrides) -> TrackingCard:
    events = tuple(TrackingEvent(T0 - timedelta(hours=i), text) for i, text in enumerate(texts))
    fields = {
        "number": "SF1524097970481",
        "carrier_code": "SF",
        "carrier_name": "顺丰速运",
        "carrier_phone": "95338",
        "status": 3,
        "status_label": "运输中",
        "status_emoji": "🚚",
        "is_final": False,
        "events": events,
    }
    return TrackingCard(**{**fields, **overrides})


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_checker_rejects_what_telegram_rejects():
    for bad in ["<b>x", "a < b", "a & b", "&nbsp;", "<div>x</div>", "<b><i>x</b></i>", "&lt"]:
        with pytest.raises(TelegramHTMLError):
            telegram_text(bad)
    assert telegram_text('<b>a</b> &lt;&amp;&gt;&quot; <a href="tel:1">1</a>') == 'a <&>" 1'


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=400).filter(lambda s: s.strip()))
def test_any_reply_text_renders_as_well_formed_html_with_the_same_text(text):
    [message] = render_messages(Reply(text=text))

    assert telegram_text(message) == text


@settings(max_examples=200, deadline=None)
@given(
    event_text=st.text(min_size=1, max_size=200).filter(lambda s: s.strip()),
    carrier=st.text(max_size=30),
    label=st.text(max_size=20),
    phone=st.text(max_size=20),
    note=st.text(max_size=60),
)
def test_any_card_text_renders_as_well_formed_html(event_text, carrier, label, phone, note):
    card = make_card(
        [event_text, "older & <b>", *["scan"] * 8],
        carrier_name=carrier,
        status_label=label,
        carrier_phone=phone,
        note=note,
    )

    [message] = render_messages(Reply(card=card, text="<i>user</i> & co"))

    shown = telegram_text(message)
    assert f"📍 {event_time(card.events[0])} {event_text.strip()}" in shown
    assert f"📦 {card_title(card)}" in shown
    assert shown.endswith("<i>user</i> & co")
    assert visible_length(message) == utf16_len(shown)


def test_card_layout():
    card = make_card([f"事件{i} <x>" for i in range(8)], note="预计明天送达")
    [message] = render_messages(
        Reply(card=card, buttons=(Button("🔔 订阅", "sub:SF1524097970481"),))
    )

    lines = message.split("\n")
    assert lines[0] == "<b>📦 顺丰速运 SF1524097970481</b>"
    assert lines[1] == "<b>🚚 运输中</b>"
    assert lines[2] == "📍 <code>2026-01-02 09:00</code> 事件0 &lt;x&gt;"
    assert lines[3] == "• <code>2026-01-02 08:00</code> 事件1 &lt;x&gt;"
    assert lines[7].startswith("<blockquote expandable>• <code>2026-01-02 04:00</code> 事件5")
    assert lines[9].endswith("事件7 &lt;x&gt;</blockquote>")
    assert lines[10:] == ["<i>预计明天送达</i>", '☎ 客服 <a href="tel:95338">95338</a>']
    assert "DEMO" not in message


def test_demo_card_is_visibly_marked_and_unusual_phone_stays_text():
    card = make_card(["揽收"], demo=True, carrier_phone="95338 转 2 <客服>")
    [message] = render_messages(Reply(card=card))

    assert telegram_text(message).startswith("🧪 演示数据 DEMO — not real tracking\n")
    assert "☎ 客服 95338 转 2 &lt;客服&gt;" in message
    assert "tel:" not in message


def test_dialable_phone_with_dashes_is_a_tel_link():
    [message] = render_messages(Reply(card=make_card(["x"], carrier_phone="400-811-1111")))

    assert '<a href="tel:4008111111">400-811-1111</a>' in message


def test_long_timeline_splits_below_4096_at_event_boundaries():
    texts = [f"【深圳转运中心】第{i}站 <到达> & 发往 {'下一站' * 12}" for i in range(400)]
    card = make_card(texts)
    messages = render_messages(Reply(card=card, text="尾注 <end>"))

    assert len(messages) > 2
    shown_lines = []
    for message in messages:
        shown = telegram_text(message)  # every chunk well-formed on its own
        assert utf16_len(shown) < MAX_TEXT_LENGTH
        assert len(shown) < MAX_TEXT_LENGTH
        shown_lines += shown.split("\n")
    expected = [telegram_text(event_line(e, first=i == 0)) for i, e in enumerate(card.events)]
    # every event line appears whole, exactly once, in order
    event_lines = [line for line in shown_lines if line.startswith(("📍", "•"))]
    assert event_lines == expected
    assert messages[0].startswith("<b>📦 顺丰速运")
    assert telegram_text(messages[-1]).endswith("尾注 <end>")


def test_long_plain_text_splits_without_losing_anything():
    text = "\n".join(f"{i}: {'包裹 <&> ' * 30}" for i in range(100)) + "\n" + "长" * 5000
    messages = render_messages(Reply(text=text))

    assert len(messages) > 2
    shown = [telegram_text(message) for message in messages]
    assert all(utf16_len(part) < MAX_TEXT_LENGTH for part in shown)
    # short lines stay whole; only the one over-long line is cut (at message boundaries)
    assert "\n".join(shown[:-2]) == text[: text.index("长")].rstrip("\n")
    assert "".join(shown[-2:]) == "长" * 5000


def test_emoji_heavy_text_is_measured_in_utf16_units():
    text = "📦" * 3000  # 3000 characters, 6000 UTF-16 units: too long for one message
    messages = render_messages(Reply(text=text))

    assert len(messages) == 2
    assert all(utf16_len(telegram_text(m)) < MAX_TEXT_LENGTH for m in messages)
    assert "".join(telegram_text(m) for m in messages) == text


def test_empty_reply_renders_nothing_and_buttons_become_a_keyboard():
    reply = Reply(
        text="  \n",
        buttons=tuple(Button(f"b{i}", f"act:{i}") for i in range(4)),
    )

    assert render_messages(reply) == []
    markup = keyboard(reply).to_dict()
    assert json.loads(json.dumps(markup)) == {
        "inline_keyboard": [
            [{"text": f"b{i}", "callback_data": f"act:{i}"} for i in range(3)],
            [{"text": "b3", "callback_data": "act:3"}],
        ]
    }
    assert keyboard(Reply(text="x")) is None


def test_mention_links_the_user():
    [message] = render_messages(
        Reply(text="到了", mentions=("11111",), mention_names=(("11111", "A<li>ce"),))
    )

    assert message == '<a href="tg://user?id=11111">A&lt;li&gt;ce</a>\n到了'
    assert telegram_text(message) == "A<li>ce\n到了"


def test_several_mentions_each_notify_their_user():
    [message] = render_messages(
        Reply(text="到了", mentions=("111", "222"), mention_names=(("333", "not mentioned"),))
    )
    assert message == ('<a href="tg://user?id=111">🔔</a> <a href="tg://user?id=222">🔔</a>\n到了')


def test_mentions_carry_the_names_the_core_knows():
    reply = Reply(text="到了", mentions=("111", "222"), mention_names=(("222", "Bo<b>"),))
    [message] = render_messages(reply)
    assert message.startswith(
        '<a href="tg://user?id=111">🔔</a> <a href="tg://user?id=222">Bo&lt;b&gt;</a>'
    )


def test_many_long_named_mentions_split_between_links_not_inside_one():
    names = tuple((str(n), "🐼" * 64) for n in range(40))  # 128 UTF-16 units each
    reply = Reply(text="到了", mentions=tuple(str(n) for n in range(40)), mention_names=names)
    messages = render_messages(reply)
    assert len(messages) >= 2 and all(visible_length(m) <= 4000 for m in messages)
    for message in messages:
        assert message.count("<a ") == message.count("</a>")  # no link cut in two
    assert sum(m.count("tg://user?id=") for m in messages) == 40
