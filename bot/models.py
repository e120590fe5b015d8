"""Boundary types: the only objects that cross between adapters and the core.

They are small frozen dataclasses with no platform-specific fields, so that the same engine
serves Telegram, WeCom, Feishu and the console. Replies serialise to plain dicts for the
outbox (`reply_to_dict` / `reply_from_dict`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

#: Characters no database stores as text: NUL (PostgreSQL refuses it) and lone surrogates
#: (not encodable as UTF-8). JSON can carry both (`\u0000`, `\ud800`).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Attachment:
    """A picture or file that came with a message, by the platform's own reference.

    `kind` is "photo", "image", "document", "voice" …; `ref` is what the platform's API takes
    to fetch it (Telegram file_id, WeCom MediaId or download URL, Feishu image_key)."""

    kind: str
    ref: str


@dataclass(frozen=True)
class Incoming:
    """A normalised incoming message or button press.

    `addressed` is true when the bot was mentioned, a command was aimed at it, or the user
    replied to one of its messages; private chats are always addressed. `action` carries a
    button's payload (e.g. ``"sub:SF1524097970481"``) instead of typed text; for a button
    press `message_id` is the bot message that carried the button and `callback_id` the
    platform's id for the press (the engine's first reply carries it in
    `Reply.callback_id` so the sender can acknowledge the press).

    `thread_id` is the topic (Telegram forum topic, Feishu thread) the message was posted in,
    "" outside topics; replies and subscriptions made there go back to it. `edited` marks a
    user's edit of an earlier message (same `message_id`). `attachments` keeps references to
    pictures and files (their caption is the `text`).
    """

    platform: str
    chat_id: str
    user_id: str
    message_id: str
    text: str
    is_group: bool = False
    addressed: bool = True
    user_name: str = ""
    language: str = ""  # the platform's word for the user's language; "" = not known
    action: str | None = None
    callback_id: str | None = None
    thread_id: str = ""
    edited: bool = False
    attachments: tuple[Attachment, ...] = ()


def storable(message: Incoming) -> Incoming:
    """`message` with NUL and lone surrogates replaced by U+FFFD in every text field.

    One for one, so offsets into the text (Telegram's entities) still point where they did;
    the inbox stores every message through this, so SQLite and PostgreSQL hold the same."""
    changes: dict[str, Any] = {
        f.name: UNSTORABLE.sub("\ufffd", value)
        for f in fields(message)
        if isinstance(value := getattr(message, f.name), str) and UNSTORABLE.search(value)
    }
    if any(UNSTORABLE.search(a.kind + a.ref) for a in message.attachments):
        changes["attachments"] = tuple(
            Attachment(UNSTORABLE.sub("\ufffd", a.kind), UNSTORABLE.sub("\ufffd", a.ref))
            for a in message.attachments
        )
    return replace(message, **changes) if changes else message


@dataclass(frozen=True)
class Target:
    """Where a reply goes: a platform chat (and topic), and the user it concerns (mentions)."""

    platform: str
    chat_id: str
    user_id: str = ""
    is_group: bool = False
    thread_id: str = ""


@dataclass(frozen=True)
class Button:
    """An inline button; `action` comes back as `Incoming.action` when pressed."""

    label: str
    action: str


@dataclass(frozen=True)
class TrackingEvent:
    """One scan in a parcel's timeline."""

    time: datetime | None
    text: str


@dataclass(frozen=True)
class TrackingCard:
    """A parcel's state, ready for any renderer. Events are newest first."""

    number: str
    carrier_code: str
    carrier_name: str
    carrier_phone: str
    status: int
    status_label: str
    status_emoji: str
    is_final: bool
    events: tuple[TrackingEvent, ...] = ()
    demo: bool = False
    note: str = ""
    phone_label: str = "客服"  # the word before the hotline, in the card's language


@dataclass(frozen=True)
class Reply:
    """A structured reply: plain text, a tracking card, or both, with optional buttons.

    `reply_to` is the message id to quote (groups); `mentions` asks the renderer to
    mention those user ids, in order, and `mention_names` gives the display names the core
    knows for some of them (`(user id, name)` pairs) for platforms whose mentions show the
    text we write; `edit_of` names an earlier bot message to update in place (platforms
    without editing send a new message); `callback_id` is the button press this reply
    answers, for platforms that want a press acknowledged.
    """

    text: str = ""
    card: TrackingCard | None = None
    buttons: tuple[Button, ...] = ()
    reply_to: str | None = None
    mentions: tuple[str, ...] = ()
    edit_of: str | None = None
    mention_names: tuple[tuple[str, str], ...] = ()
    callback_id: str | None = None

    def name_of(self, user_id: str) -> str | None:
        """The display name known for a mentioned user, if any."""
        return next((name for user, name in self.mention_names if user == user_id), None)


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """Serialise a reply to JSON-safe data (datetimes as ISO strings)."""
    data = asdict(reply)
    # Processes of the previous version, still sending during a rolling upgrade, read this.
    data["mention_user"] = reply.mentions[0] if len(reply.mentions) == 1 else None
    data["meta"] = _legacy_meta(reply)
    if reply.card is not None and reply.card.phone_label == "客服":
        # The default is left out, so processes of the previous version still read the row.
        del data["card"]["phone_label"]
    if reply.card is not None:
        data["card"]["events"] = [
            {"time": e.time.isoformat() if e.time else None, "text": e.text}
            for e in reply.card.events
        ]
    return data


def reply_from_dict(data: dict[str, Any]) -> Reply:
    """Rebuild a reply serialised by `reply_to_dict`."""
    card_data = data.get("card")
    card = None
    if card_data:
        events = tuple(
            TrackingEvent(
                time=datetime.fromisoformat(e["time"]) if e.get("time") else None,
                text=e["text"],
            )
            for e in card_data.get("events", ())
        )
        known = {f.name for f in fields(TrackingCard)}  # a newer version may add fields
        values = {k: v for k, v in card_data.items() if k in known}
        card = TrackingCard(**{**values, "events": events})
    buttons = tuple(Button(**b) for b in data.get("buttons", ()))
    return Reply(
        text=data.get("text", ""),
        card=card,
        buttons=buttons,
        reply_to=data.get("reply_to"),
        mentions=_mentions(data),
        edit_of=data.get("edit_of"),
        mention_names=_mention_names(data),
        callback_id=data.get("callback_id") or (data.get("meta") or {}).get("callback_id"),
    )


#: Incoming fields newer than the first release, left out of stored rows while at their default
#: so that workers of the previous version (still draining during an upgrade) can read them.
_NEWER_FIELDS = {"thread_id": "", "edited": False, "attachments": ()}


def incoming_to_dict(message: Incoming) -> dict[str, Any]:
    """Serialise an incoming message for the inbox (JSON-safe)."""
    data = asdict(message)
    for name, default in _NEWER_FIELDS.items():
        if getattr(message, name) == default:
            del data[name]
    return data


def incoming_from_dict(data: dict[str, Any]) -> Incoming:
    """Rebuild a message stored by `incoming_to_dict`; keys of newer versions are ignored."""
    known = {f.name for f in fields(Incoming)}
    values = {key: value for key, value in data.items() if key in known}
    values["attachments"] = tuple(Attachment(**a) for a in values.get("attachments") or ())
    return Incoming(**values)


def target_of(message: Incoming) -> Target:
    """The target that answers `message` in the chat it came from."""
    return Target(
        message.platform, message.chat_id, message.user_id, message.is_group, message.thread_id
    )


def _mentions(data: dict[str, Any]) -> tuple[str, ...]:
    """User ids to mention; rows queued by earlier versions carry one `mention_user`."""
    if "mentions" in data:
        return tuple(user for user in data["mentions"] or () if user)
    return (data["mention_user"],) if data.get("mention_user") else ()


def _mention_names(data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Known names of mentioned users; rows of earlier versions keep them in `meta`."""
    if "mention_names" in data:
        return tuple((user, name) for user, name in data["mention_names"] or ())
    meta = data.get("meta") or {}
    return tuple((k[5:], v) for k, v in meta.items() if k.startswith("name:") and v)


def _legacy_meta(reply: Reply) -> dict[str, str]:
    """The string-keyed `meta` that processes of the previous version read."""
    meta = {f"name:{user}": name for user, name in reply.mention_names}
    if reply.callback_id:
        meta["callback_id"] = reply.callback_id
    return meta
