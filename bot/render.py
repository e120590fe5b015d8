"""Presentation helpers every renderer shares, and the plain-text renderer.

Platform adapters build their own rich formats (HTML, WeCom markdown, Feishu cards) from a
`TrackingCard`, but they agree on how times read, how many events show before the rest fold
away, and how a long timeline splits at event boundaries under a size budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.clock import CHINA_TZ
from bot.models import Reply, TrackingCard, TrackingEvent

#: Events shown in full; older ones fold away (expandable quote, collapsed panel, or cut).
LATEST_EVENTS = 5


def event_time(event: TrackingEvent) -> str:
    """The event's time as users read it (China time, minutes), or a dash when unknown."""
    return local_time(event.time) if event.time else "—"


def local_time(moment: datetime) -> str:
    """`YYYY-MM-DD HH:MM` in China time."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def card_title(card: TrackingCard) -> str:
    """`顺丰速运 SF1524097970481` — carrier then number."""
    return f"{card.carrier_name} {card.number}".strip()


def status_line(card: TrackingCard) -> str:
    """`🚚 运输中` — emoji and label."""
    return f"{card.status_emoji} {card.status_label}"


def split_latest(card: TrackingCard, latest: int = LATEST_EVENTS):
    """(shown, folded): the newest `latest` events and the older rest."""
    return card.events[:latest], card.events[latest:]


def chunk_by_budget(
    items: Sequence[str], budget: int, measure: Callable[[str], int] = len, sep: str = "\n"
) -> list[str]:
    """Join `items` into as few chunks as fit `budget` (by `measure`), breaking only between
    items; an item too long on its own is truncated with an ellipsis."""
    chunks: list[str] = []
    current = ""
    for item in items:
        item = truncate(item, budget, measure)
        candidate = f"{current}{sep}{item}" if current else item
        if measure(candidate) <= budget:
            current = candidate
            continue
        chunks.append(current)
        current = item
    if current:
        chunks.append(current)
    return chunks


def truncate(text: str, budget: int, measure: Callable[[str], int] = len) -> str:
    """`text` cut to fit `budget` (by `measure`, e.g. UTF-8 bytes), ending in `…` when cut.

    Cuts whole characters only, so a multi-byte character is never split."""
    if measure(text) <= budget:
        return text
    low, high = 0, len(text)
    while low < high:  # binary search: the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if measure(text[:mid] + "…") <= budget:
            low = mid
        else:
            high = mid - 1
    return text[:low] + "…"


def utf8_len(text: str) -> int:
    """Size in UTF-8 bytes (WeCom counts bytes)."""
    return len(text.encode("utf-8"))


def card_lines(card: TrackingCard) -> list[str]:
    """The card as plain lines: header, status, timeline (every event), note, hotline."""
    lines = [f"📦 {card_title(card)}", status_line(card)]
    if card.demo:
        lines.insert(0, "【演示数据 DEMO — not real tracking】")
    lines += [f"  {event_time(e)}  {e.text}" for e in card.events]
    if card.note:
        lines.append(card.note)
    if card.carrier_phone:
        lines.append(f"☎ {card.phone_label} {card.carrier_phone}")
    return lines


def render_text(reply: Reply) -> str:
    """The whole reply as plain text: for the console and for clients without rich text."""
    parts = []
    if reply.card is not None:
        parts.append("\n".join(card_lines(reply.card)))
    if reply.text:
        parts.append(reply.text)
    if reply.buttons:
        parts.append("  ".join(f"[{b.label}]" for b in reply.buttons))
    return "\n".join(parts)
