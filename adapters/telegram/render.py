"""Core `Reply` → Telegram HTML messages and inline keyboards.

Every interpolated value is escaped (carrier text, event text and user input can contain `<`
and `&`; an unescaped one makes Telegram reject the whole message). A tracking card reads::

    🧪 演示数据 DEMO — not real tracking        (demo cards only)
    📦 顺丰速运 SF1524097970481                  (bold)
    🚚 运输中                                    (bold)
    📍 01-02 09:00  快件已签收                   (latest events: a timeline)
    ▸ …                                          (older events: expandable blockquote)
    ☎ 客服 95338                                 (a tel: link)

Telegram allows 4096 characters per message, counted after entity parsing in UTF-16 code
units; replies longer than `TEXT_BUDGET` are split into several messages, only between
events/lines, never inside a tag.
"""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.models import Reply, TrackingCard, TrackingEvent
from bot.render import (
    card_title,
    chunk_by_budget,
    event_time,
    split_latest,
    status_line,
    truncate,
)

#: Telegram's hard limit (`MessageLimit.MAX_TEXT_LENGTH`).
MAX_TEXT_LENGTH = 4096
#: What we aim for: a margin below the limit, because Telegram's own whitespace handling and
#: entity counting are not ours to reproduce exactly.
TEXT_BUDGET = 4000
#: Longest line of mention links (each link's name is at most 64 characters, ≤128 units).
MENTION_LINE_BUDGET = 1000
#: An event's text is cut to this many characters (real scans are far shorter).
EVENT_TEXT_MAX = 1000
#: Inline buttons per keyboard row.
BUTTONS_PER_ROW = 3

DEMO_MARK = "🧪 <b>演示数据 DEMO</b> — <i>not real tracking</i>"
_TAG = re.compile(r"<[^>]*>")
_DIALABLE = re.compile(r"^\+?[0-9][0-9 \-]{3,18}[0-9]$")


def escape(text: str) -> str:
    """Text for an HTML message body: `<`, `>` and `&` escaped (quotes may stay)."""
    return html.escape(text, quote=False)


def visible_text(message_html: str) -> str:
    """What Telegram shows for our HTML: tags removed, entities decoded.

    Only valid for HTML built here, where every `<` outside a tag is escaped."""
    return html.unescape(_TAG.sub("", message_html))


def visible_length(message_html: str) -> int:
    """Telegram's length of a message: UTF-16 code units of the text after entity parsing."""
    return len(visible_text(message_html).encode("utf-16-le")) // 2


def _mention(user_id: str, reply: Reply) -> str:
    """A link that notifies the user; its text is their name when the reply knows it."""
    name = truncate(reply.name_of(user_id) or "🔔", 64)
    return f'<a href="tg://user?id={html.escape(user_id)}">{escape(name)}</a>'


def _mention_lines(links: list[str]) -> list[str]:
    """Mention links side by side, in lines short enough that a message split falls between
    lines, never inside a link (many subscribers with long names)."""
    lines: list[str] = []
    for link in links:
        if lines and visible_length(f"{lines[-1]} {link}") <= MENTION_LINE_BUDGET:
            lines[-1] = f"{lines[-1]} {link}"
        else:
            lines.append(link)
    return lines


def render_messages(reply: Reply) -> list[str]:
    """The reply as HTML messages, each within `TEXT_BUDGET`; empty when there is nothing."""
    items: list[str] = []
    items += _mention_lines([_mention(user_id, reply) for user_id in reply.mentions if user_id])
    if reply.card is not None:
        items += card_items(reply.card)
    if reply.text.strip():
        whole = escape(reply.text)
        fits = visible_length(whole) <= TEXT_BUDGET
        items += [whole] if fits else [escape(line) for line in _wrapped_lines(reply.text)]
    if not items:
        return []
    return chunk_by_budget(items, TEXT_BUDGET, measure=visible_length)


def card_items(card: TrackingCard) -> list[str]:
    """A card as HTML items that may be split between (header, events, folded groups, …)."""
    header = [DEMO_MARK] if card.demo else []
    header += [f"<b>📦 {escape(card_title(card))}</b>", f"<b>{escape(status_line(card))}</b>"]
    items = ["\n".join(header)]
    shown, folded = split_latest(card)
    items += [event_line(event, first=index == 0) for index, event in enumerate(shown)]
    if not card.events:
        items.append("<i>暂无物流信息 No tracking events yet</i>")
    items += folded_quotes(folded)
    if card.note:
        items += [f"<i>{escape(line)}</i>" for line in _wrapped_lines(card.note)]
    if card.carrier_phone:
        items.append(f"☎ {html.escape(card.phone_label)} {phone_link(card.carrier_phone)}")
    return items


def event_line(event: TrackingEvent, first: bool = False) -> str:
    """`📍 <code>2026-01-02 09:00</code> text` for the newest event, `•` for the others."""
    bullet = "📍" if first else "•"
    text = escape(truncate(event.text.strip(), EVENT_TEXT_MAX))
    return f"{bullet} <code>{escape(event_time(event))}</code> {text}"


def folded_quotes(events: tuple[TrackingEvent, ...]) -> list[str]:
    """Older events inside expandable blockquotes: one normally, one per chunk when huge."""
    if not events:
        return []
    lines = [event_line(event) for event in events]
    # Each group must fit a message on its own, header line included.
    groups = chunk_by_budget(lines, TEXT_BUDGET - 100, measure=visible_length)
    return [f"<blockquote expandable>{group}</blockquote>" for group in groups]


def phone_link(phone: str) -> str:
    """The hotline as a `tel:` link when it is one dialable number, else escaped text."""
    phone = phone.strip()
    if not _DIALABLE.match(phone):
        return escape(phone)
    dial = re.sub(r"[ \-]", "", phone)
    return f'<a href="tel:{dial}">{escape(phone)}</a>'


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Reply.buttons as an inline keyboard (callback_data = the button's action)."""
    if not reply.buttons:
        return None
    buttons = [InlineKeyboardButton(b.label, callback_data=b.action) for b in reply.buttons]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)


def _wrapped_lines(text: str) -> list[str]:
    """`text` as lines; a line longer than a whole message is cut into message-sized pieces
    (so a piece never shares a message with its neighbour and nothing is lost)."""
    lines: list[str] = []
    for line in text.strip("\n").split("\n"):
        lines += _pieces(line, TEXT_BUDGET)
    return lines


def _pieces(line: str, budget: int) -> list[str]:
    """`line` cut into pieces of at most `budget` UTF-16 units, never inside a character."""
    pieces, start, units = [], 0, 0
    for index, char in enumerate(line):
        width = 2 if ord(char) > 0xFFFF else 1
        if units + width > budget:
            pieces.append(line[start:index])
            start, units = index, 0
        units += width
    pieces.append(line[start:])
    return pieces
