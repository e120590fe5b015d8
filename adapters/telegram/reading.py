"""One raw Telegram update (a JSON object) → something the intake can act on, never an exception.

Both intake modes read updates one at a time through `read_update`, so a single update that
python-telegram-bot cannot build (an older Bot API shape, a field of the wrong type) costs only
itself: the webhook answers 200 (a retry would fail the same way) and long polling moves its
offset past it. Such an update is recorded as rejected (`Inbox.reject`: its id, its type and
the error's type, never the text) and logged the same way.

Older shapes are repaired before giving up: users recorded before Bot API 3.x carry no
`is_bot` (now required), files before Bot API 4.5 no `file_unique_id`, and the samples of
Telegram's own webhook guide have chats without a `type`. Unknown fields and unknown
update types need no repair: PTB keeps them aside (`api_kwargs`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import telegram
from telegram import Update

#: How deep the old-shape repair looks for users (an update nests a few objects deep;
#: replies of replies and callback messages reach about 5). Bounded: input is untrusted.
REPAIR_DEPTH = 8
_KIND_OK = re.compile(r"^[a-z_]{1,40}$")
_USER_KEYS = frozenset(
    {"from", "user", "forward_from", "via_bot", "new_chat_member", "left_chat_member"}
)
_CHAT_KEYS = frozenset({"chat", "sender_chat", "forward_from_chat"})


@dataclass(frozen=True)
class Unreadable:
    """An update python-telegram-bot could not build, even after the old-shape repair."""

    update_id: int
    kind: str
    error: str


def update_kind(data: dict[str, Any]) -> str:
    """The update's type (`message`, `edited_message`, …): its first key besides update_id."""
    for key in data:
        if key != "update_id":
            return key if _KIND_OK.match(str(key)) else "unknown"
    return "empty"


def build_update(data: dict[str, Any], bot: telegram.Bot) -> Update | Unreadable:
    """PTB's `Update` for `data`, repairing older shapes if needed; `Unreadable` otherwise.

    `data` must be a dict with an int `update_id` (the caller checks: it is the offset)."""
    try:
        return Update.de_json(data, bot)
    except Exception as first:  # noqa: BLE001 - PTB raises anything from a bad shape
        try:
            return Update.de_json(repair_old_shapes(data), bot)
        except Exception:  # noqa: BLE001
            return Unreadable(data["update_id"], update_kind(data), type(first).__name__)


def repair_old_shapes(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of `data` with defaults for fields older updates lack: a user's `is_bot` and
    `first_name`, a file's `file_unique_id`, a chat's `type` (the webhook guide's samples
    have none; a positive id is a private chat, a negative one a group). Users and chats are
    recognised by the key holding them."""

    def fix(value: Any, depth: int, key: str = "") -> Any:
        if depth > REPAIR_DEPTH:
            return value
        if isinstance(value, list):
            return [fix(item, depth + 1) for item in value]
        if not isinstance(value, dict):
            return value
        fixed = {name: fix(item, depth + 1, name) for name, item in value.items()}
        if key in _USER_KEYS:
            fixed.setdefault("is_bot", False)
            fixed.setdefault("first_name", "")
        elif key in _CHAT_KEYS and isinstance(fixed.get("id"), int):
            fixed.setdefault("type", "private" if fixed["id"] > 0 else "group")
        elif isinstance(fixed.get("file_id"), str):  # files before Bot API 4.5
            fixed.setdefault("file_unique_id", fixed["file_id"])
        return fixed

    return fix(data, 0)
