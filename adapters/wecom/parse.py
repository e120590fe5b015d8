"""Decrypted WeCom payloads → (delivery id, `Incoming`), or None for what the bot ignores.

Self-built app (XML): text messages, and the `enter_agent` / `subscribe` events, which become
an Incoming with text "/start" so the engine answers with its welcome. `subscribe` (the first
follow) always does; `enter_agent` (every time the app is opened) at most once per user per
`welcome_hours`: its delivery id names the user and the time window, so the inbox's
de-duplication drops the later ones of the same window. Only private chats reach the app, so
chat_id is the user id. A picture (`image`) becomes an Incoming without text whose attachment
is its MediaId (the worker downloads it with media/get).

AI bot (JSON): text, pictures (`image`, by their encrypted download URL), the text parts of
`mixed` (its pictures kept as attachments) and voice (WeCom transcribes it: `voice.content`),
sent by @-mentioning the bot in a group or by chatting with it directly; the leading
`@BotName` is stripped. A group's chat_id is WeCom's `chatid`; a direct chat with the AI bot is
`aibot:<userid>`, so the sender can tell it from the self-built app's chat with the same user
(the two answer through different channels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

import xmltodict

from adapters.base import Rejected
from adapters.door import load_json
from bot.clock import CHINA_TZ
from bot.models import Attachment, Incoming

PLATFORM = "wecom"
AIBOT_CHAT_PREFIX = "aibot:"

#: A leading mention: "@" + name up to the first whitespace (WeCom puts U+2005 after mentions).
_LEADING_MENTION = re.compile(r"^\s*@\S+(?:\s+|$)")


class MalformedPayload(ValueError):
    """The decrypted payload is not the XML/JSON shape WeCom sends."""


@dataclass(frozen=True)
class AibotMessage:
    """A parsed AI-bot message: the delivery id, the Incoming, and where to answer it."""

    delivery_id: str
    incoming: Incoming
    response_url: str


def parse_app_xml(
    plaintext: str, corp_id: str, welcome_hours: int = 24
) -> tuple[str, Incoming] | None:
    """A self-built app message. Raises `MalformedPayload`, or `PermissionError` when the
    message is addressed to another corp."""
    try:
        root = xmltodict.parse(plaintext, disable_entities=True)  # entities: refused
        fields = root["xml"]
    except Exception as exc:  # noqa: BLE001 - expat/shape errors all mean "not WeCom's XML"
        raise MalformedPayload(type(exc).__name__) from None
    if not isinstance(fields, dict):
        raise MalformedPayload("no fields")
    if _text(fields, "ToUserName") not in ("", corp_id):
        raise PermissionError("message for another corp")
    user = _text(fields, "FromUserName")
    msg_type = _text(fields, "MsgType").lower()
    if not user:
        raise MalformedPayload("no sender")
    if msg_type == "text":
        msg_id = _text(fields, "MsgId")
        if not msg_id:
            raise MalformedPayload("text message without MsgId")
        return msg_id, _private(user, msg_id, _text(fields, "Content"))
    if msg_type == "image":
        msg_id, media_id = _text(fields, "MsgId"), _text(fields, "MediaId")
        if not (msg_id and media_id):
            raise MalformedPayload("image message without MsgId or MediaId")
        picture = (Attachment("image", media_id),)
        return msg_id, replace(_private(user, msg_id, ""), attachments=picture)
    if msg_type == "event":
        delivery_id = _welcome_id(_text(fields, "Event").lower(), fields, user, welcome_hours)
        return (delivery_id, _private(user, delivery_id, "/start")) if delivery_id else None
    return None


def _welcome_id(event: str, fields: dict, user: str, welcome_hours: int) -> str | None:
    """The delivery id of a welcome-worthy event, or None when it earns no welcome."""
    created = _text(fields, "CreateTime")
    if event == "subscribe":
        return f"evt:{user}:{created}"
    if event != "enter_agent" or welcome_hours <= 0:
        return None
    if not created.isdigit():
        raise MalformedPayload("enter_agent without CreateTime")
    # Windows start at China's midnight, so 24 hours means once per China calendar day.
    local = datetime.fromtimestamp(int(created), CHINA_TZ)
    window = int(local.timestamp() + local.utcoffset().total_seconds()) // (welcome_hours * 3600)
    return f"welcome:{user}:{welcome_hours}h:{window}"


def _private(user: str, message_id: str, text: str) -> Incoming:
    return Incoming(
        platform=PLATFORM,
        chat_id=user,
        user_id=user,
        message_id=message_id,
        text=text,
        is_group=False,
        addressed=True,
    )


def _text(fields: dict, key: str) -> str:
    value = fields.get(key)
    return value.strip() if isinstance(value, str) else ""


def parse_aibot_json(plaintext: str) -> AibotMessage | None:
    """An AI-bot callback. Raises `MalformedPayload` when required fields are missing."""
    try:
        data = load_json(plaintext)
    except Rejected as rejected:
        raise MalformedPayload(rejected.reason) from None
    if not isinstance(data, dict):
        raise MalformedPayload("not an object")
    content = _aibot_text(data)
    images = _aibot_images(data)
    if content is None and not images:
        return None  # events (enter_chat, card clicks), stream refreshes, files …
    msgid = data.get("msgid")
    sender = data.get("from")
    user = sender.get("userid") if isinstance(sender, dict) else None
    url = data.get("response_url")
    if not (isinstance(msgid, str) and msgid and isinstance(user, str) and user):
        raise MalformedPayload("message without msgid or sender")
    if not (isinstance(url, str) and url):
        raise MalformedPayload("message without response_url")
    is_group = data.get("chattype") == "group"
    chat_id = str(data.get("chatid") or "") if is_group else AIBOT_CHAT_PREFIX + user
    if not chat_id:
        raise MalformedPayload("group message without chatid")
    incoming = Incoming(
        platform=PLATFORM,
        chat_id=chat_id,
        user_id=user,
        message_id=msgid,
        text=strip_mention(content or ""),
        is_group=is_group,
        addressed=True,  # the AI bot only hears @-mentions (groups) or its own direct chats
        attachments=images,
    )
    return AibotMessage(f"aibot:{msgid}", incoming, url)


def _aibot_text(data: dict) -> str | None:
    """The message's text, or None when it is not a text-bearing message."""
    msg_type = data.get("msgtype")
    if msg_type == "text":
        text = data.get("text")
        content = text.get("content") if isinstance(text, dict) else None
        if not isinstance(content, str):
            raise MalformedPayload("text message without content")
        return content
    if msg_type == "voice":  # transcribed by WeCom
        voice = data.get("voice")
        content = voice.get("content") if isinstance(voice, dict) else None
        if not isinstance(content, str):
            raise MalformedPayload("voice message without content")
        return content
    if msg_type == "mixed":
        mixed = data.get("mixed")
        items = mixed.get("msg_item") if isinstance(mixed, dict) else None
        if not isinstance(items, list):
            raise MalformedPayload("mixed message without items")
        parts = [
            item["text"].get("content", "")
            for item in items
            if isinstance(item, dict)
            and item.get("msgtype") == "text"
            and isinstance(item.get("text"), dict)
        ]
        return " ".join(p for p in parts if isinstance(p, str)) if parts else None
    return None


def _aibot_images(data: dict) -> tuple[Attachment, ...]:
    """The pictures of an `image` or `mixed` message, by their download URL."""
    if data.get("msgtype") == "image":
        items: object = [data]
    else:
        mixed = data.get("mixed") if data.get("msgtype") == "mixed" else None
        items = mixed.get("msg_item") if isinstance(mixed, dict) else None
    images = []
    for item in items if isinstance(items, list) else ():
        image = item.get("image") if isinstance(item, dict) else None
        url = image.get("url") if isinstance(image, dict) else None
        if isinstance(url, str) and url:
            images.append(Attachment("image", url))
    return tuple(images)


def strip_mention(content: str) -> str:
    """`@MyBot 天气` → `天气`: drop the leading @-mention of the bot."""
    return _LEADING_MENTION.sub("", content, count=1).strip()
