"""Bounded answers: a long timeline makes a short card, and the rest is read in pages."""

from __future__ import annotations

from adapters.telegram.render import render_messages
from adapters.wecom.render import render_markdown
from bot.timeline import CARD_EVENTS, EVENT_TEXT_MAX, PAGE_EVENTS
from tests.support.chat import YT


def _timeline(count: int) -> list[tuple[str, str]]:
    """`count` events an hour apart, newest first, each numbered in its text."""
    events = []
    for n in range(count):
        day, hour = divmod(count - n, 24)
        text = f"第{count - n}站 快件已到达【中转部】"
        events.append((f"2026-{1 + day // 28:02d}-{1 + day % 28:02d} {hour:02d}:00:00", text))
    return events


def test_a_huge_timeline_makes_one_short_card_with_a_history_button(chat, upstream):
    events = _timeline(5000)  # ~400 KB: under the size limit, so it is read and drawn
    events[:3] = [(when, text * 200) for when, text in events[:3]]  # runaway event texts
    upstream.set_track(YT, 2, events)

    [reply] = chat.say(YT)

    card = reply.card
    assert len(card.events) == CARD_EVENTS
    assert card.events[0].text.startswith("第5000站")  # the newest are kept
    assert all(len(e.text) <= EVENT_TEXT_MAX for e in card.events)
    assert f"另有 {5000 - CARD_EVENTS} 条更早的记录" in card.note
    assert f"/history {YT}" in card.note
    assert [b.action for b in reply.buttons][-1] == f"history:{YT}:1"
    assert len(render_messages(reply)) <= 2
    assert len(render_markdown(reply)) <= 3


def test_a_short_timeline_has_no_history_button_or_note(chat, upstream):
    upstream.set_track(YT, 2, _timeline(CARD_EVENTS))
    [reply] = chat.say(YT)
    assert len(reply.card.events) == CARD_EVENTS
    assert reply.card.note == ""
    assert not any(b.action.startswith("history:") for b in reply.buttons)


def test_history_pages_through_the_whole_timeline(chat, upstream):
    total = PAGE_EVENTS * 2 + 3
    upstream.set_track(YT, 2, _timeline(total))

    [first] = chat.say(f"/history {YT}")
    assert first.text.splitlines()[0] == f"📜 {YT} 全部物流记录（第 1/3 页）"
    assert len(first.text.splitlines()) == 1 + PAGE_EVENTS
    assert f"第{total}站" in first.text
    [next_page] = first.buttons
    assert next_page.action == f"history:{YT}:2"

    [second] = chat.say("", action=next_page.action, callback_id="cb1")
    assert "第 2/3 页" in second.text and second.callback_id == "cb1"
    [last] = chat.say("", action=second.buttons[0].action)
    assert "第 3/3 页" in last.text
    assert "第1站" in last.text and last.buttons == ()
    assert len(upstream.requests_for(YT)) == 1  # every page from the cached answer


def test_history_page_numbers_are_clamped_and_usage_is_explained(chat, upstream):
    upstream.set_track(YT, 2, _timeline(3))
    [reply] = chat.say(f"/history {YT} 9")
    assert "第 1/1 页" in reply.text
    [usage] = chat.say("/history")
    assert "/history 单号" in usage.text


def test_history_of_a_failing_lookup_says_why(chat, upstream):
    upstream.set_gateway_error(YT, 504, "Async Service")
    [reply] = chat.say(f"/history {YT}")
    assert "物流查询服务暂时响应慢" in reply.text


def test_page_numbers_in_other_digit_scripts_are_not_pages(chat, upstream):
    # '²' and '٣' pass str.isdigit() but not int(): they were an internal error.
    upstream.set_track(YT, 2, _timeline(PAGE_EVENTS * 2))
    [reply] = chat.say(f"/history {YT} ²")  # typed text is folded (NFKC): ² reads as 2
    assert "第 2/2 页" in reply.text
    [press] = chat.say("", action=f"history:{YT}:٣")
    assert "第 1/2 页" in press.text
    [carriers] = chat.say("/carriers 顺丰 ²")
    assert "出错" not in carriers.text and "error" not in carriers.text.lower()
