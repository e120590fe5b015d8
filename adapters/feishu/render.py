"""Core replies → Feishu message content: an interactive card, or plain text.

A tracking card becomes an interactive card: header coloured by status, the latest events as a
timeline, older ones in a collapsed panel, the carrier hotline, and buttons whose value comes
back in `card.action.trigger`. Everything user- or carrier-supplied is escaped for `lark_md`
(HTML entities), and text messages cannot carry an `<at>` tag we did not write.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.models import Button, Reply, Target, TrackingCard
from bot.render import card_title, event_time, split_latest, status_line, truncate, utf8_len
from bot.tracking import Status

#: Feishu refuses cards over 30 KB (230025); keep a margin for the request's own JSON.
CARD_BUDGET = 28_000

_MD_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "*": "&#42;",
    "_": "&#95;",
    "~": "&#126;",
    "`": "&#96;",
    "[": "&#91;",
    "]": "&#93;",
    "(": "&#40;",
    ")": "&#41;",
    "#": "&#35;",
    ":": "&#58;",  # `:OK:` would become a Feishu emoji
    "\\": "&#92;",
    "$": "&#36;",
}
_MD_SPECIAL = re.compile("[" + re.escape("".join(_MD_ENTITIES)) + "]")
_OPEN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_RED = {Status.REFUSED, Status.PROBLEM, Status.DELIVERY_FAILED}
_ZWSP = "\u200b"
# A lone surrogate (valid in JSON "\\ud800", invalid in UTF-8) would make the send itself fail.
_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_md(text: str) -> str:
    """`text` as literal characters inside `lark_md`/markdown: no emphasis, links, tags,
    mentions or emoji; line breaks become spaces so user text cannot start a block."""
    flat = " ".join(text.splitlines())
    return _MD_SPECIAL.sub(lambda m: _MD_ENTITIES[m.group(0)], flat)


def escape_lines(text: str) -> str:
    """Multi-line text for `lark_md`: each line escaped on its own, line breaks kept."""
    return "\n".join(escape_md(line) for line in text.splitlines())


def escape_text(text: str) -> str:
    """Plain text for a `text` message: Feishu parses `<at …>` and a few style tags there and
    has no escape, so a zero-width space after `<` (and inside `**`, `~~`, `](`) breaks them."""
    text = text.replace("<", "<" + _ZWSP)
    text = re.sub(r"(?<=\*)(?=\*)|(?<=~)(?=~)|(?<=\])(?=\()", _ZWSP, text)
    return text


def header_template(status: int) -> str:
    """The header colour for a parcel status."""
    if status == Status.DELIVERED:
        return "green"
    if status == Status.OUT_FOR_DELIVERY:
        return "orange"
    if status in _RED:
        return "red"
    return "blue"


def render(reply: Reply, target: Target) -> tuple[str, str]:
    """(msg_type, content JSON string) for a reply.

    A card is used when the reply has a tracking card, buttons, or edits an earlier message
    (only cards can be patched); otherwise a text message.
    """
    if reply.card is not None or reply.buttons or reply.edit_of:
        return "interactive", dumps(build_card(reply, target))
    return "text", dumps({"text": text_body(reply)})


def dumps(content: dict[str, Any]) -> str:
    """Message content as Feishu wants it: a JSON string, UTF-8 encodable."""
    return _SURROGATE.sub("\ufffd", json.dumps(content, ensure_ascii=False))


def _open_ids(reply: Reply) -> list[str]:
    """The reply's mentions that are well-formed open ids (anything else could break out of
    the `<at>` tag)."""
    return [user for user in reply.mentions if _OPEN_ID.match(user)]


def text_body(reply: Reply) -> str:
    """The text of a `text` message, with our own mention tag in front when asked."""
    body = escape_text(reply.text)
    tags = " ".join(f'<at user_id="{user}"></at>' for user in _open_ids(reply))
    return f"{tags} {body}" if tags else body


def build_card(reply: Reply, target: Target) -> dict[str, Any]:
    """The interactive card for a reply, shortened until it fits `CARD_BUDGET` bytes."""
    # Progressively smaller: (chars per shown event, chars per older event, older events kept).
    for shown, older, keep in ((300, 200, 500), (200, 80, 200), (120, 40, 60), (80, 20, 20)):
        card = _card(reply, target, shown, older, keep)
        if utf8_len(dumps(card)) <= CARD_BUDGET:
            return card
    return _card(reply, target, 40, 0, 0)


def _card(reply: Reply, target: Target, shown: int, older: int, keep: int) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    intro = escape_lines(truncate(reply.text, 1500)) if reply.text else ""
    if tags := " ".join(f"<at id={user}></at>" for user in _open_ids(reply)):
        intro = f"{tags} {intro}".rstrip()
    if intro:
        elements.append(_md_div(intro))
    card = reply.card
    if card is not None:
        elements += _tracking_elements(card, shown, older, keep)
    if reply.buttons:
        elements.append(_actions(reply.buttons, target))
    result: dict[str, Any] = {
        "config": {"wide_screen_mode": True, "update_multi": True},
        "elements": elements or [_md_div(" ")],
    }
    if card is not None:
        title = f"📦 {truncate(card_title(card), 100)}"
        result["header"] = {
            "template": header_template(card.status),
            "title": {"tag": "plain_text", "content": title},
        }
    return result


def _tracking_elements(card: TrackingCard, shown: int, older: int, keep: int) -> list[dict]:
    elements: list[dict[str, Any]] = []
    if card.demo:
        elements.append(_md_div("**⚠️ 演示数据 DEMO** — not real tracking"))
    elements.append(_md_div(f"**{escape_md(truncate(status_line(card), 100))}**"))
    latest, rest = split_latest(card)
    if latest:
        lines = [_event_line(e, shown, bold=(i == 0)) for i, e in enumerate(latest)]
        elements.append(_md_div("\n".join(lines)))
    else:
        elements.append(_md_div("暂无物流记录"))
    if rest:
        elements.append(_older_panel(rest, older, keep))
    notes = [escape_md(truncate(card.note, 300))] if card.note else []
    if card.carrier_phone:
        notes.append(
            f"☎ {escape_md(card.phone_label)} {escape_md(truncate(card.carrier_phone, 40))}"
        )
    if notes:
        elements.append({"tag": "note", "elements": [_md(n) for n in notes]})
    return elements


def _event_line(event, limit: int, bold: bool = False) -> str:
    when = f"**{event_time(event)}**" if bold else event_time(event)
    return f"● {when}  {escape_md(truncate(event.text, limit))}" if limit else f"○ {when}"


def _older_panel(rest, limit: int, keep: int) -> dict[str, Any]:
    kept = rest[:keep]
    lines = [_event_line(e, limit) for e in kept]
    if len(rest) > len(kept):
        lines.append(f"…… 另有 {len(rest) - len(kept)} 条更早记录未显示")
    return {
        "tag": "collapsible_panel",
        "expanded": False,
        "header": {"title": {"tag": "plain_text", "content": f"更早的 {len(rest)} 条记录"}},
        "elements": [{"tag": "markdown", "content": "\n".join(lines)}],
    }


def _actions(buttons: tuple[Button, ...], target: Target) -> dict[str, Any]:
    chat_type = "group" if target.is_group else "p2p"
    return {
        "tag": "action",
        "actions": [
            {
                "tag": "button",
                "text": {"tag": "plain_text", "content": truncate(b.label, 40)},
                "type": "primary" if i == 0 else "default",
                "value": {"action": b.action, "chat_type": chat_type},
            }
            for i, b in enumerate(buttons)
        ],
    }


def _md(content: str) -> dict[str, str]:
    return {"tag": "lark_md", "content": content}


def _md_div(content: str) -> dict[str, Any]:
    return {"tag": "div", "text": _md(content)}
