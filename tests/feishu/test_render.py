"""Rendering: card layout, colours, escaping (property-tested), size budget, text safety."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.feishu.render import build_card, dumps, escape_md, header_template, render
from bot.models import Button, Reply, Target, TrackingCard, TrackingEvent
from bot.tracking import Status

GROUP = Target("feishu", "oc_chat1", "ou_sender", is_group=True)
PRIVATE = Target("feishu", "oc_p2p", "ou_sender")
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def tracking_card(texts=("已签收",), status=Status.IN_TRANSIT, **fields) -> TrackingCard:
    events = tuple(TrackingEvent(T0 - timedelta(hours=i), t) for i, t in enumerate(texts))
    values = {
        "number": "SF1524097970481",
        "carrier_code": "shunfeng",
        "carrier_name": "顺丰速运",
        "carrier_phone": "95338",
        "status": int(status),
        "status_label": status.label_zh,
        "status_emoji": status.emoji,
        "is_final": status.is_final,
        "events": events,
        **fields,
    }
    return TrackingCard(**values)


def markdown_contents(node) -> list[str]:
    """Every lark_md / markdown string in a card, in order."""
    found = []
    if isinstance(node, dict):
        if node.get("tag") in ("lark_md", "markdown"):
            found.append(node["content"])
        for value in node.values():
            found += markdown_contents(value)
    elif isinstance(node, list):
        for value in node:
            found += markdown_contents(value)
    return found


def skeleton(content: str) -> str:
    """The markup-significant characters of a markdown string, entities removed."""
    return re.sub(r"[^*_~`\[\]<>()#:\\$&]", "", re.sub(r"&(#\d+|amp|lt|gt);", "", content))


@pytest.mark.parametrize(
    ("status", "colour"),
    [
        (Status.DELIVERED, "green"),
        (Status.OUT_FOR_DELIVERY, "orange"),
        (Status.PROBLEM, "red"),
        (Status.REFUSED, "red"),
        (Status.DELIVERY_FAILED, "red"),
        (Status.IN_TRANSIT, "blue"),
        (Status.NO_RECORD, "blue"),
    ],
)
def test_header_colour_follows_status(status, colour):
    assert header_template(status) == colour
    card = build_card(Reply(card=tracking_card(status=status)), PRIVATE)
    assert card["header"]["template"] == colour


def test_card_layout_timeline_folded_events_hotline_and_buttons():
    texts = [f"第{i}站 扫描" for i in range(8)]
    reply = Reply(
        card=tracking_card(texts, demo=True),
        buttons=(Button("订阅", "sub:SF1524097970481"), Button("刷新", "refresh:SF1524097970481")),
    )
    msg_type, content = render(reply, GROUP)
    card = json.loads(content)
    assert msg_type == "interactive"
    assert card["config"]["update_multi"] is True  # only shared cards can be PATCHed
    assert card["header"]["title"]["content"] == "📦 顺丰速运 SF1524097970481"
    text = "\n".join(markdown_contents(card))
    assert "DEMO" in text and "95338" in text
    timeline = next(c for c in markdown_contents(card) if "第0站" in c)
    assert [f"第{i}站" in timeline for i in range(8)] == [True] * 5 + [False] * 3
    panel = next(e for e in card["elements"] if e["tag"] == "collapsible_panel")
    assert panel["expanded"] is False
    assert "更早的 3 条记录" in panel["header"]["title"]["content"]
    assert all(f"第{i}站" in panel["elements"][0]["content"] for i in (5, 6, 7))
    actions = next(e for e in card["elements"] if e["tag"] == "action")["actions"]
    assert [a["value"] for a in actions] == [
        {"action": "sub:SF1524097970481", "chat_type": "group"},
        {"action": "refresh:SF1524097970481", "chat_type": "group"},
    ]


def test_plain_text_reply_is_a_text_message_without_foreign_at_tags():
    hostile = 'hi <at user_id="all">所有人</at> **x** [a](http://e)'
    reply = Reply(text=hostile, mentions=("ou_me",))
    msg_type, content = render(reply, GROUP)
    text = json.loads(content)["text"]
    assert msg_type == "text"
    assert text.startswith('<at user_id="ou_me"></at> ')
    assert text.count("<at") == 1  # only ours
    assert "**" not in text and "](" not in text
    assert text.replace("\u200b", "").endswith(hostile)


def test_unsafe_mention_ids_are_dropped():
    msg_type, content = render(Reply(text="x", mentions=('ou_1"></at><at user_id="all',)), GROUP)
    assert "<at" not in json.loads(content)["text"]


def test_several_mentions_in_text_and_card():
    _, content = render(Reply(text="到了", mentions=("ou_a", "ou_b")), GROUP)
    assert json.loads(content)["text"].startswith('<at user_id="ou_a"></at> <at user_id="ou_b">')
    card_reply = Reply(text="到了", mentions=("ou_a", "ou_b"), edit_of="om_1")
    _, content = render(card_reply, GROUP)
    assert markdown_contents(json.loads(content))[0].startswith("<at id=ou_a></at> <at id=ou_b>")


def test_edit_without_card_still_renders_a_card():
    msg_type, content = render(Reply(text="已取消订阅", edit_of="om_card1"), GROUP)
    assert msg_type == "interactive"
    assert markdown_contents(json.loads(content)) == ["已取消订阅"]


def test_huge_timeline_stays_under_30_kb_and_keeps_latest_events():
    texts = ["*[<at id=all>]_~`" * 40 + f" #{i}" for i in range(400)]
    card = build_card(Reply(text="&<>" * 2000, card=tracking_card(texts)), GROUP)
    size = len(json.dumps(card, ensure_ascii=False).encode())
    assert size < 30_000
    timeline = next(c for c in markdown_contents(card) if "**2026-01-01 20:00**" in c)
    assert timeline.count("● ") == 5  # the newest five, in full view
    panel = next(e for e in card["elements"] if e["tag"] == "collapsible_panel")
    assert "更早的 395 条记录" in panel["header"]["title"]["content"]
    assert "更早记录未显示" in panel["elements"][0]["content"]  # shortened to fit


text_strategy = st.text(
    alphabet=st.one_of(st.sampled_from(list("*_~`[]<>()#:\\$&@!-+|\n ")), st.characters()),
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(
    texts=st.lists(text_strategy, min_size=1, max_size=8),
    reply_text=text_strategy,
    note=text_strategy,
    phone=text_strategy,
)
def test_user_and_carrier_text_never_adds_markup(texts, reply_text, note, phone):
    def or_default(value: str, default: str) -> str:
        # Blank text legitimately renders no element at all: compare like with like.
        return value if value.strip() else default

    def card_for(fill):
        card = tracking_card(
            [fill(t) for t in texts],
            note=or_default(fill(note), "n"),
            carrier_phone=or_default(fill(phone), "p"),
        )
        return build_card(Reply(text=or_default(fill(reply_text), "r"), card=card), GROUP)

    hostile = card_for(lambda t: t)
    benign = card_for(lambda t: "x")
    assert [skeleton(c) for c in markdown_contents(hostile)] == [
        skeleton(c) for c in markdown_contents(benign)
    ]
    # What is sent: valid UTF-8 (even from lone surrogates) and under Feishu's 30 KB.
    assert len(dumps(hostile).encode("utf-8")) < 30_000


@given(st.text())
def test_escape_md_round_trips_through_html_entities(text):
    escaped = escape_md(text)
    assert not set(escaped) & set("*_~`[]<>()\\$:\n")
    assert html.unescape(escaped) == " ".join(text.splitlines())


def test_multi_line_text_keeps_its_line_breaks_in_a_card():
    msg_type, content = render(Reply(text="第一行 *x*\n第二行", edit_of="om_card1"), GROUP)
    assert msg_type == "interactive"
    [intro] = markdown_contents(json.loads(content))
    assert intro.split("\n")[1] == "第二行" and "*" not in intro
