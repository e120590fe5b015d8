"""Bounded timelines: a card shows the newest events only, and the whole timeline is read in
pages on request (a button or `/history <number> [page]`).

An upstream may answer with thousands of events (a looping parcel, a runaway feed): drawn
whole, one answer became 1,510 chat messages. So a card carries at most `CARD_EVENTS` events,
each cut to `EVENT_TEXT_MAX` characters, with a note saying how many older ones are folded
away; a history page carries `PAGE_EVENTS`. Either fits one or two messages on every platform.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from bot.models import Button, Reply, TrackingEvent
from bot.render import event_time, truncate
from bot.texts import t

_PAGE = re.compile(r"[0-9]{1,6}")

#: Events on a tracking card (newest first); older ones are counted, not shown.
CARD_EVENTS = 15
#: Events on one page of `/history`.
PAGE_EVENTS = 15
#: An event's text is cut to this many characters (real scans are well under 100).
EVENT_TEXT_MAX = 200
#: The prefix of the button that pages through the whole timeline.
HISTORY_ACTION = "history"


def short_event(event: TrackingEvent) -> TrackingEvent:
    """`event` with its text cut to `EVENT_TEXT_MAX` characters."""
    text = truncate(event.text, EVENT_TEXT_MAX)
    return event if text == event.text else replace(event, text=text)


def card_events(events: tuple[TrackingEvent, ...]) -> tuple[tuple[TrackingEvent, ...], int]:
    """(the newest `CARD_EVENTS` events, shortened; how many older ones were left out)."""
    shown = tuple(short_event(e) for e in events[:CARD_EVENTS])
    return shown, len(events) - len(shown)


def older_note(number: str, older: int, language: str) -> str:
    """The card's note about `older` folded events, naming the command that shows them."""
    return t("older_events", language, count=older, number=number) if older else ""


def history_button(number: str, language: str, page: int = 1) -> Button:
    """A button showing page `page` of the timeline of `number`."""
    label = t("btn_history" if page == 1 else "btn_history_next", language)
    return Button(label, f"{HISTORY_ACTION}:{number}:{page}")


def page_number(word: str) -> int | None:
    """A page number typed by a user (ASCII digits; `²` and `١` are digits to str.isdigit but
    not to int()), else None."""
    return int(word) if _PAGE.fullmatch(word) else None


def parse_history_action(rest: str) -> tuple[str, int]:
    """(number, page) from the part of a history action after its prefix (`NUMBER[:PAGE]`)."""
    number, _, page = rest.partition(":")
    return number, page_number(page) or 1


def history_page(
    number: str, events: tuple[TrackingEvent, ...], page: int, language: str, demo: bool = False
):
    """Page `page` (from 1, clamped) of the whole timeline as a text reply, with a button to
    the next page while there is one; demo data says so, as every demo answer does."""
    pages = max(1, math.ceil(len(events) / PAGE_EVENTS))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_EVENTS
    lines = [t("history_title", language, number=number, page=page, pages=pages)]
    lines += [
        f"{event_time(e)}  {short_event(e).text}" for e in events[start : start + PAGE_EVENTS]
    ]
    if not events:
        lines.append(t("history_empty", language))
    if demo:
        lines.append(t("demo_note", language))
    buttons = (history_button(number, language, page + 1),) if page < pages else ()
    return Reply(text="\n".join(lines), buttons=buttons)
