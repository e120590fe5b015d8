"""Reply → WeCom content: the markdown subset, a plain-text fallback, and 2048-byte chunks.

WeCom markdown (headings, bold, links, inline code, quotes, `<font color=…>`) has no escape
mechanism, so every user- or carrier-supplied string goes through `neutralise`, which swaps the
characters that could open markup for look-alikes:

    *  → ∗ (U+2217)      `  → ˋ (U+02CB)      _  → ＿ (U+FF3F)     ~ → ～ (U+FF5E)
    [  → ［ (U+FF3B)     ]  → ］ (U+FF3D)     <  → ‹ (U+2039)      > → › (U+203A)
    at a line start: # → ＃  - → －  + → ＋  = → ＝  "1." → "1．"  "1)" → "1）",
    leading spaces/tabs → no-break spaces (no indented code blocks), control characters dropped.

The only markup in the output is what this module writes itself: `**title**`, `> ` before each
timeline line, and `<font color="info|comment|warning">…</font>` around short fields.
Content is split between lines (timeline events, text lines) so that each chunk fits the byte
budget; a single over-long line is shortened with `…`, never cut inside a character.
"""

from __future__ import annotations

import re
import unicodedata

from bot.models import Button, Reply, TrackingCard
from bot.render import (
    card_lines,
    card_title,
    chunk_by_budget,
    event_time,
    status_line,
    truncate,
    utf8_len,
)

#: WeCom's limit for text.content and markdown.content, in UTF-8 bytes.
CONTENT_BUDGET = 2048

DEMO_MARK = "【演示数据 DEMO — not real tracking】"

_INLINE = str.maketrans(
    {
        "*": "\u2217",
        "`": "\u02cb",
        "_": "\uff3f",
        "~": "\uff5e",
        "[": "\uff3b",
        "]": "\uff3d",
        "<": "\u2039",
        ">": "\u203a",
    }
)
_LINE_START = {"#": "\uff03", "-": "\uff0d", "+": "\uff0b", "=": "\uff1d"}
_LIST_NUMBER = re.compile(r"^(\d+)([.)])(?=\s|$)")
_LIST_MARK = {".": "\uff0e", ")": "\uff09"}

#: How a button's action reads as a typed command (WeCom app messages have no buttons).
COMMAND_HINTS = {
    "sub": "回复 /subscribe {arg} 订阅",
    "unsub": "回复 /unsubscribe {arg} 取消订阅",
    "refresh": "回复 /track {arg} 刷新",
}


def clean(text: str) -> str:
    """Drop characters WeCom (or UTF-8) cannot carry: controls except newline/tab, surrogates."""
    kept = []
    # Every line break Python knows (\r, \r\n, U+2028 …) becomes "\n" before controls go.
    for char in "\n".join(text.splitlines()):
        category = unicodedata.category(char)
        if char in "\n\t" or category not in ("Cc", "Cs"):
            kept.append(char)
    return "".join(kept)


def neutralise(text: str) -> str:
    """`text` safe to place anywhere in WeCom markdown: it cannot open or close any markup."""
    lines = clean(text).translate(_INLINE).splitlines() or [""]
    return "\n".join(_neutralise_line_start(line) for line in lines)


def neutralise_inline(text: str) -> str:
    """`neutralise` for a field that must stay on one line (titles, events, notes)."""
    return neutralise(" ".join(clean(text).splitlines()))


def _neutralise_line_start(line: str) -> str:
    """Defuse what only means something at the start of a line (headings, lists, rules)."""
    stripped = line.lstrip(" \t")
    indent = "\u00a0" * (len(line) - len(stripped))
    if stripped[:1] in _LINE_START:
        stripped = _LINE_START[stripped[0]] + stripped[1:]
    number = _LIST_NUMBER.match(stripped)
    if number:
        digits, mark = number.groups()
        stripped = digits + _LIST_MARK[mark] + stripped[number.end() :]
    return indent + stripped


def button_hints(buttons: tuple[Button, ...]) -> list[str]:
    """One hint line per button, e.g. `回复 /subscribe SF1524097970481 订阅` (unknown: skipped)."""
    hints = []
    for button in buttons:
        kind, _, arg = button.action.partition(":")
        template = COMMAND_HINTS.get(kind)
        if template and arg:
            hints.append(template.format(arg=arg))
    return hints


def _wrap(prefix: str, inner: str, suffix: str, budget: int) -> str:
    """`prefix + inner + suffix` with `inner` shortened so the markup always stays balanced."""
    room = budget - utf8_len(prefix) - utf8_len(suffix)
    return prefix + truncate(inner, room, utf8_len) + suffix


def _font(color: str, inner: str, budget: int) -> str:
    return _wrap(f'<font color="{color}">', inner, "</font>", budget)


def card_markdown_lines(card: TrackingCard, budget: int = CONTENT_BUDGET) -> list[str]:
    """The tracking card as markdown lines: bold title, status, quoted timeline, note, phone."""
    lines = []
    if card.demo:
        lines.append(_font("warning", DEMO_MARK, budget))
    lines.append(_wrap("**📦 ", neutralise_inline(card_title(card)), "**", budget))
    status = neutralise_inline(status_line(card))
    lines.append(_font("info" if card.is_final else "warning", status, budget))
    for event in card.events:
        lines.append(_wrap(f"> {event_time(event)}  ", neutralise_inline(event.text), "", budget))
    if card.note:
        lines.append(_font("comment", neutralise_inline(card.note), budget))
    if card.carrier_phone:
        lines.append(
            truncate(
                f"☎ {neutralise_inline(card.phone_label)} {neutralise_inline(card.carrier_phone)}",
                budget,
                utf8_len,
            )
        )
    return lines


def render_markdown(reply: Reply, budget: int = CONTENT_BUDGET) -> list[str]:
    """The reply as WeCom markdown chunks, each at most `budget` UTF-8 bytes."""
    items: list[str] = []
    if reply.card is not None:
        items += card_markdown_lines(reply.card, budget)
    if reply.text:
        items += neutralise(reply.text).split("\n")
    items += [
        _font("comment", neutralise_inline(hint), budget) for hint in button_hints(reply.buttons)
    ]
    return _chunks(items, budget)


def render_plain(reply: Reply, budget: int = CONTENT_BUDGET) -> list[str]:
    """The reply as plain-text chunks (clients or settings without markdown)."""
    items: list[str] = []
    if reply.card is not None:
        items += [" ".join(clean(line).splitlines()) for line in card_lines(reply.card)]
    if reply.text:
        items += clean(reply.text).splitlines()
    items += button_hints(reply.buttons)
    return _chunks(items, budget)


def render_single(reply: Reply, markdown: bool, budget: int = CONTENT_BUDGET) -> str:
    """The reply as ONE message (one-shot channels like the AI bot's response_url): the first
    chunk, rendered with room for a marker that says the rest was left out."""
    marker = "\n……（内容过长，已省略）"
    render = render_markdown if markdown else render_plain
    chunks = render(reply, budget - utf8_len(marker))
    if not chunks:
        return ""
    return chunks[0] + (marker if len(chunks) > 1 else "")


def _chunks(items: list[str], budget: int) -> list[str]:
    """Pack lines into chunks under `budget` bytes; blank replies yield no chunk."""
    chunks = chunk_by_budget(items, budget, utf8_len)
    return [chunk for chunk in chunks if chunk.strip()]
