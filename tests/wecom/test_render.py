"""Rendering: markdown neutralisation (property-tested), the card, chunking at 2048 bytes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.wecom import render
from bot.models import Button, Reply, TrackingCard, TrackingEvent

#: Exactly the markup the renderer writes itself; anything else would come from data.
OWN_MARKUP = re.compile(r'<font color="(?:info|comment|warning)">|</font>|\*\*')
SYNTAX_CHARS = set("*`_~[]<>")
#: What opens a block at a line start (after the renderer's own "> " quote prefix).
LINE_SYNTAX = re.compile(r"^(?:[ \t]|#|-|\+|=|>|\d+[.)](?:\s|$))")


def card(texts=("已签收",), **overrides) -> TrackingCard:
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    events = tuple(TrackingEvent(start - timedelta(hours=i), text) for i, text in enumerate(texts))
    values = dict(
        number="SF1524097970481",
        carrier_code="shunfeng",
        carrier_name="顺丰速运",
        carrier_phone="95338",
        status=3,
        status_label="已签收",
        status_emoji="✅",
        is_final=True,
        events=events,
    )
    return TrackingCard(**{**values, **overrides})


def assert_only_own_markup(chunk: str) -> None:
    """No markdown syntax in `chunk` except the renderer's own."""
    for line in chunk.split("\n"):
        body = line[2:] if line.startswith("> ") else line  # the timeline's quote prefix
        body = OWN_MARKUP.sub("", body)
        assert not SYNTAX_CHARS & set(body), line
        assert not LINE_SYNTAX.match(body), line


def test_neutralise_mapping():
    assert render.neutralise("**bold** `code` [a](b) <font> _x_ ~y~") == (
        "∗∗bold∗∗ ˋcodeˋ ［a］(b) ‹font› ＿x＿ ～y～"
    )
    assert render.neutralise("# h\n> q\n- l\n+ p\n=\n1. n\n2) m\n    code") == (
        "＃ h\n› q\n－ l\n＋ p\n＝\n1． n\n2） m\n\u00a0\u00a0\u00a0\u00a0code"
    )
    assert render.neutralise("a\x00b\rc") == "ab\nc"


def test_card_markdown_layout():
    reply = Reply(card=card(("已签收 <b>*", "派送中")), buttons=(Button("订阅", "sub:SF1"),))
    [chunk] = render.render_markdown(reply)
    lines = chunk.split("\n")
    assert lines[0] == "**📦 顺丰速运 SF1524097970481**"
    assert lines[1] == '<font color="info">✅ 已签收</font>'
    assert lines[2] == "> 2026-01-05 16:00  已签收 ‹b›∗"  # China time, neutralised text
    assert lines[3].startswith("> 2026-01-05 15:00  派送中")
    assert "☎ 客服 95338" in lines
    assert lines[-1] == '<font color="comment">回复 /subscribe SF1 订阅</font>'


def test_demo_card_is_marked():
    [chunk] = render.render_markdown(Reply(card=card(demo=True)))
    assert chunk.startswith('<font color="warning">【演示数据 DEMO')
    [plain] = render.render_plain(Reply(card=card(demo=True)))
    assert plain.startswith("【演示数据 DEMO")


def test_long_timeline_splits_at_event_boundaries():
    texts = [f"【深圳转运中心】第{i}条：快件已到达，正在分拣，请耐心等待派送" for i in range(80)]
    chunks = render.render_markdown(Reply(card=card(texts)))
    assert len(chunks) > 1
    assert all(render.utf8_len(c) <= render.CONTENT_BUDGET for c in chunks)
    shown = [line for c in chunks for line in c.split("\n") if line.startswith("> ")]
    assert len(shown) == 80 and all(line.endswith("请耐心等待派送") for line in shown)


def test_single_message_is_shortened_with_a_marker():
    texts = [f"第{i}条记录：快件已到达转运中心" * 3 for i in range(80)]
    content = render.render_single(Reply(card=card(texts)), markdown=True)
    assert render.utf8_len(content) <= render.CONTENT_BUDGET
    assert content.endswith("……（内容过长，已省略）")
    assert content.count("<font") == content.count("</font>")


def test_plain_text_has_no_markup_and_hints():
    reply = Reply(text="**hi**", card=card(), buttons=(Button("取消", "unsub:SF9"),))
    [plain] = render.render_plain(reply)
    assert "**hi**" in plain  # plain text is sent verbatim: no markup is interpreted
    assert "<font" not in plain and "回复 /unsubscribe SF9 取消订阅" in plain


def test_unknown_button_actions_give_no_hint():
    assert render.button_hints((Button("x", "other:1"), Button("y", "sub:"))) == []


def test_over_long_single_line_is_truncated_without_breaking_characters():
    chunks = render.render_markdown(Reply(text="快" * 3000))
    assert len(chunks) == 1 and chunks[0].endswith("…")
    assert render.utf8_len(chunks[0]) <= 2048


safe_text = st.text(max_size=600)


@settings(max_examples=150, deadline=None)
@given(
    text=safe_text,
    events=st.lists(safe_text, max_size=12),
    note=safe_text,
    name=safe_text,
    phone=st.text(max_size=30),
    label=st.text(max_size=30),
)
def test_user_text_never_produces_markup(text, events, note, name, phone, label):
    reply = Reply(
        text=text,
        card=card(events, note=note, carrier_name=name, carrier_phone=phone, status_label=label),
        buttons=(Button("订阅", "sub:SF1524097970481"),),
    )
    chunks = render.render_markdown(reply)
    assert chunks
    for chunk in chunks:
        assert len(chunk.encode("utf-8")) <= render.CONTENT_BUDGET  # encodes: valid UTF-8
        assert_only_own_markup(chunk)
        assert chunk.count('<font color="') == chunk.count("</font>")
    single = render.render_single(reply, markdown=True)
    assert len(single.encode("utf-8")) <= render.CONTENT_BUDGET
    assert_only_own_markup(single)
    for chunk in render.render_plain(reply):
        assert len(chunk.encode("utf-8")) <= render.CONTENT_BUDGET
