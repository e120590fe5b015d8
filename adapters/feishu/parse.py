"""Schema 2.0 event envelopes → `Incoming`, shared by the webhook and the long connection.

Both intake paths end here with the same plaintext dict (`{"schema", "header", "event"}`), so a
message reads the same however it arrived. Messages are de-duplicated on `message_id` (Feishu
re-delivers the same message under a new `event_id`); button presses on the event id.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.models import Attachment, Incoming

log = logging.getLogger(__name__)

PLATFORM = "feishu"
MESSAGE_EVENT = "im.message.receive_v1"
CARD_ACTION_EVENT = "card.action.trigger"

# `@_user_12` must not be read as `@_user_1` + "2": match the whole key at once.
_PLACEHOLDER = re.compile(r"@_user_\d+|@_all")
_SPACES = re.compile(r"[ \t\u00a0]{2,}")
# JSON may carry lone surrogates ("\\ud800"); they cannot be stored as UTF-8 text.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Parsed:
    """A message ready for `Inbox.accept(delivery_id, message)`."""

    delivery_id: str
    message: Incoming


def parse_envelope(envelope: dict[str, Any], bot_open_id: str | None) -> Parsed | None:
    """The `Incoming` an event envelope carries, or None for events the bot ignores.

    Raises `ValueError` (or `KeyError`/`TypeError`) when a known event is malformed.
    """
    header = envelope.get("header") or {}
    event_type = header.get("event_type")
    event = envelope.get("event")
    if not isinstance(event, dict):
        raise ValueError("event envelope without an event object")
    if event_type == MESSAGE_EVENT:
        return parse_message(event, bot_open_id)
    if event_type == CARD_ACTION_EVENT:
        return parse_card_action(event, str(header.get("event_id") or ""))
    log.debug("feishu: ignoring event type %r", event_type)
    return None


def parse_message(event: dict[str, Any], bot_open_id: str | None) -> Parsed | None:
    """An `im.message.receive_v1` event → Incoming (text and rich-text messages from users;
    a rich text's pictures are kept as attachments, a message in a thread keeps its
    `thread_id`); a picture (`image`) becomes an Incoming without text carrying its
    image_key, which the worker downloads through the message resource API."""
    message = event["message"]
    sender = event.get("sender") or {}
    if sender.get("sender_type", "user") != "user":
        log.debug("feishu: ignoring a message from sender type %r", sender.get("sender_type"))
        return None
    message_type = message.get("message_type")
    if message_type not in ("text", "post", "image"):
        log.debug("feishu: ignoring a %r message", message_type)
        return None
    content = json.loads(message["content"])
    if message_type == "image":
        title, raw, images = "", "", _image(content)
    elif message_type == "post":
        (title, raw), images = post_text(content), post_images(content)
    else:
        title, raw, images = "", _text_content(content), ()
    mentions = [m for m in message.get("mentions") or () if isinstance(m, dict)]
    is_group = message.get("chat_type") != "p2p"
    # The title stays out of mention handling: `@Bot …` leads the body, not the title.
    text, bot_mentioned = resolve_mentions(raw, mentions, bot_open_id)
    text = "\n".join(part for part in (_clean(title), text) if part)
    sender_id = sender.get("sender_id") or {}
    incoming = Incoming(
        platform=PLATFORM,
        chat_id=str(message["chat_id"]),
        user_id=str(sender_id.get("open_id") or ""),
        message_id=str(message["message_id"]),
        text=text,
        is_group=is_group,
        addressed=bot_mentioned or not is_group,
        thread_id=str(message.get("thread_id") or ""),
        attachments=images,
    )
    return Parsed(delivery_id=incoming.message_id, message=incoming)


def _image(content: object) -> tuple[Attachment, ...]:
    key = content.get("image_key") if isinstance(content, dict) else None
    if not isinstance(key, str) or not key:
        raise ValueError("image message content has no image_key")
    return (Attachment("image", key),)


def _text_content(content: object) -> str:
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        raise ValueError("text message content has no text")
    return content["text"]


def post_text(content: object) -> tuple[str, str]:
    """(title, body) of a rich-text (`post`) message, the body one line per paragraph.

    Pasted order confirmations arrive this way. Mentions keep their `@_user_N` key, so they
    resolve like a text message's; links keep their text; images, emoji and the like drop.
    The body may be the post itself or wrapped in a language (`zh_cn`, `en_us`, …)."""
    if not isinstance(content, dict):
        raise ValueError("post message content is not an object")
    if "content" not in content:
        content = next((v for v in content.values() if isinstance(v, dict)), {})
    paragraphs = content.get("content")
    if not isinstance(paragraphs, list):
        raise ValueError("post message content has no paragraphs")
    lines = []
    for paragraph in paragraphs:
        elements = paragraph if isinstance(paragraph, list) else []
        lines.append("".join(_element_text(e) for e in elements if isinstance(e, dict)))
    return str(content.get("title") or ""), "\n".join(line for line in lines if line.strip())


def post_images(content: object) -> tuple[Attachment, ...]:
    """The pictures of a rich-text message, by image_key (read after `post_text` checked the
    shape)."""
    if isinstance(content, dict) and "content" not in content:
        content = next((v for v in content.values() if isinstance(v, dict)), {})
    paragraphs = content.get("content") if isinstance(content, dict) else None
    if not isinstance(paragraphs, list):
        return ()
    keys = [
        element.get("image_key")
        for paragraph in paragraphs
        for element in (paragraph if isinstance(paragraph, list) else ())
        if isinstance(element, dict) and element.get("tag") == "img"
    ]
    return tuple(Attachment("image", key) for key in keys if isinstance(key, str) and key)


def _clean(line: str) -> str:
    return _SPACES.sub(" ", _SURROGATE.sub("\ufffd", line)).strip()


def _element_text(element: dict[str, Any]) -> str:
    tag = element.get("tag")
    if tag == "at":
        key = str(element.get("user_id") or "")
        name = str(element.get("user_name") or "")
        return f" {key} " if _PLACEHOLDER.fullmatch(key) else (f" @{name} " if name else " ")
    if tag in ("text", "a", "md", "code_block"):
        return str(element.get("text") or "")
    return " "  # an image or emoji still separates the words around it


def resolve_mentions(
    text: str, mentions: list[dict[str, Any]], bot_open_id: str | None
) -> tuple[str, bool]:
    """(text with placeholders resolved, whether the bot was mentioned).

    The bot's own `@_user_N` is removed; other users' become `@Name`. When the bot's open_id
    is not known yet (bot info not fetched), any mention counts as addressing the bot and the
    mentions that lead the text are removed, the common `@Bot /track …` shape.
    """
    by_key = {m.get("key"): m for m in mentions}
    if bot_open_id:
        bot_keys = {k for k, m in by_key.items() if _open_id(m) == bot_open_id}
    else:
        bot_keys = _leading_keys(text, by_key)
    mentioned = bool(bot_keys) if bot_open_id else bool(by_key)

    def replace(match: re.Match[str]) -> str:
        key = match.group(0)
        if key in bot_keys:
            return ""
        if key == "@_all":
            return "@all"
        name = (by_key.get(key) or {}).get("name")
        return f"@{name}" if name else ""

    resolved = _SURROGATE.sub("\ufffd", _PLACEHOLDER.sub(replace, text))
    lines = [_SPACES.sub(" ", line).strip() for line in resolved.split("\n")]
    return "\n".join(lines).strip(), mentioned


def _open_id(mention: dict[str, Any]) -> str:
    mention_id = mention.get("id")
    if isinstance(mention_id, dict):
        return str(mention_id.get("open_id") or "")
    return ""


def _leading_keys(text: str, by_key: dict[Any, dict[str, Any]]) -> set[str]:
    keys: set[str] = set()
    rest = text.lstrip()
    while match := _PLACEHOLDER.match(rest):
        if match.group(0) in by_key:
            keys.add(match.group(0))
        rest = rest[match.end() :].lstrip()
    return keys


def parse_card_action(event: dict[str, Any], event_id: str) -> Parsed | None:
    """A `card.action.trigger` callback (a button press) → Incoming with `action`.

    The button value is `{"action": …, "chat_type": "group"|"p2p"}` as our renderer wrote it;
    `chat_type` is there because the callback itself does not say what kind of chat it is.
    """
    action = event.get("action") or {}
    value = action.get("value")
    if not isinstance(value, dict) or not isinstance(value.get("action"), str):
        log.debug("feishu: ignoring a card action without our action value")
        return None
    if not event_id:
        raise ValueError("card action without an event_id")
    context = event.get("context") or {}
    operator = event.get("operator") or {}
    incoming = Incoming(
        platform=PLATFORM,
        chat_id=str(context.get("open_chat_id") or ""),
        user_id=str(operator.get("open_id") or ""),
        message_id=str(context.get("open_message_id") or ""),
        text="",
        is_group=value.get("chat_type") == "group",
        addressed=True,
        action=value["action"],
        callback_id=event_id,
    )
    if not incoming.chat_id or not incoming.message_id:
        raise ValueError("card action without chat or message id")
    # Prefixed so a press can never collide with a message id in the inbox's dedup keys.
    return Parsed(delivery_id=f"card:{event_id}", message=incoming)
