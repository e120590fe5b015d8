"""Telegram updates → `Incoming`, and the webhook route that accepts them.

One parser serves both intake modes (webhook and long polling), so both produce identical
messages. Addressing in groups: a command without a suffix or with OUR `@botname` suffix, a
mention of `@botname` (stripped from the text), or a reply to one of our messages. A command
for another bot (`/track@otherbot`) is passed on as not addressed. `/start <payload>` (the
`t.me/<bot>?start=<waybill>` deep link) becomes `/track <payload>` so the engine only knows one
tracking command.
"""

from __future__ import annotations

import hmac
import logging
import re

from flask import Blueprint, jsonify, request
from telegram import Bot, Chat, Message, MessageEntity, Update, User

from adapters.base import Rejected
from adapters.door import load_json
from adapters.telegram.bridge import BotBridge, BotIdentity
from adapters.telegram.reading import Unreadable, build_update, update_kind
from bot.models import Attachment, Incoming
from bot.runtime.ports import Inbox

log = logging.getLogger(__name__)

PLATFORM = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Seconds a webhook request waits for the first getMe (started when the routes are built,
#: so normally long done). Kept short: while Telegram's API is unreachable we answer 503 at
#: once and Telegram re-delivers later, rather than holding webhook requests open.
IDENTITY_WAIT = 1.0

_GROUP_TYPES = (Chat.GROUP, Chat.SUPERGROUP)
_INTEGER = re.compile(r"-?\d{1,20}")


def read_update(data: dict, bot: Bot, me: BotIdentity) -> tuple[str, Incoming] | Unreadable | None:
    """(delivery id, message), `Unreadable`, or None for an update the bot ignores."""
    update = build_update(data, bot)
    if isinstance(update, Unreadable):
        return update
    try:
        return parse_update(update, me)
    except Exception as exc:  # noqa: BLE001 - PTB's accessors raise anything on odd values
        return Unreadable(update.update_id, update_kind(data), type(exc).__name__)


def hand_over(inbox: Inbox, result: tuple[str, Incoming] | Unreadable | None) -> None:
    """Accept a message; record an unreadable update as rejected (logged by id and type,
    never its text); None needs nothing."""
    if isinstance(result, Unreadable):
        log.warning(
            "telegram update %s (%s) unreadable (%s); recorded as rejected and skipped",
            result.update_id,
            result.kind,
            result.error,
        )
        inbox.reject(PLATFORM, str(result.update_id), result.kind, result.error)
    elif result is not None:
        inbox.accept(*result)


def parse_update(update: Update, me: BotIdentity) -> tuple[str, Incoming] | None:
    """(delivery id, message) for a message (text or captioned file), an edit of one, or a
    button press; None for anything else."""
    delivery_id = str(update.update_id)
    if update.callback_query is not None:
        incoming = _from_callback(update)
    elif update.message is not None:
        incoming = _from_message(update.message, me)
    elif update.edited_message is not None:
        incoming = _from_message(update.edited_message, me, edited=True)
    else:
        incoming = None
    if incoming is None:
        return None
    ids = (incoming.chat_id, incoming.user_id, incoming.message_id)
    if not all(_INTEGER.fullmatch(value) for value in ids):
        # PTB does not check types; Telegram's ids are integers, anything else is not Telegram.
        raise ValueError("an id is not an integer")
    return delivery_id, incoming


def _from_message(message: Message, me: BotIdentity, edited: bool = False) -> Incoming | None:
    user = message.from_user
    pictures = [a for a in _attachments(message) if a.kind in ("photo", "image")]
    if not (_body(message) or pictures) or user is None:
        return None  # nothing to read (an empty text cannot even carry its entities)
    if user.is_bot and message.sender_chat is None:
        return None  # other bots; an anonymous group admin posts as a bot *with* sender_chat
    if message.chat.type not in (Chat.PRIVATE, *_GROUP_TYPES):
        return None  # channels: the bot only posts there
    is_group = message.chat.type in _GROUP_TYPES
    text, addressed = _address(message, me)
    # Only forum topics: in other supergroups a reply chain also has a thread id, but a send
    # carrying it would be refused there.
    topic = message.message_thread_id if message.is_topic_message else None
    return Incoming(
        platform=PLATFORM,
        chat_id=str(message.chat.id),
        user_id=str(user.id),
        message_id=str(message.message_id),
        text=_start_to_track(text),
        is_group=is_group,
        addressed=addressed or not is_group,
        user_name=_display_name(user),
        language=_language(user),
        thread_id=str(topic) if topic else "",
        edited=edited,
        attachments=_attachments(message),
    )


def _body(message: Message) -> str | None:
    """What the user wrote: the text, or the caption of a photo, document, video …"""
    return message.text if message.text is not None else message.caption


def _attachments(message: Message) -> tuple[Attachment, ...]:
    """References to the picture or file the message carries: the largest size of a photo;
    a document sent "as a file" is an "image" when its MIME type says so (an uncompressed
    label photo), else a "document" (not read)."""
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return (Attachment("photo", largest.file_id),)
    document = message.document
    if document is not None:
        mime = document.mime_type if isinstance(document.mime_type, str) else ""
        kind = "image" if mime.lower().startswith("image/") else "document"
        return (Attachment(kind, document.file_id),)
    return ()


def _address(message: Message, me: BotIdentity) -> tuple[str, bool]:
    """The text with our @-suffix and mentions stripped, and whether it was aimed at us."""
    text = _body(message) or ""
    addressed = False
    command = _leading_command(message)
    if command:
        name, _, target = command[1:].partition("@")
        if not target or target.lower() == me.username.lower():
            addressed = True
            text = f"/{name}{text[len(command) :]}"
    for entity, value in _entities(message, MessageEntity.TEXT_MENTION).items():
        if entity.user is not None and entity.user.id == me.id:
            addressed = True
            text = text.replace(value, " ", 1)
    if me.username:
        mention = re.compile(rf"(?<![\w@])@{re.escape(me.username)}(?!\w)", re.IGNORECASE)
        text, count = mention.subn(" ", text)
        addressed = addressed or count > 0
    return _tidy(text), addressed or _replies_to_us(message, me)


def _replies_to_us(message: Message, me: BotIdentity) -> bool:
    """A reply to one of our messages. Telegram marks every message in a forum topic as a
    reply to the topic's opening (service) message, which is no reply to us even when we
    opened the topic."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != me.id:
        return False
    opener = replied.forum_topic_created is not None
    return not (
        opener or (message.is_topic_message and replied.message_id == message.message_thread_id)
    )


def _entities(message: Message, kind: str) -> dict[MessageEntity, str]:
    if message.text is not None:
        return message.parse_entities([kind])
    return message.parse_caption_entities([kind])


def _leading_command(message: Message) -> str | None:
    """`/cmd@bot` when the message starts with a bot_command entity (not just any `/`)."""
    for entity, value in _entities(message, MessageEntity.BOT_COMMAND).items():
        if entity.offset == 0:
            return value
    return None


def _tidy(text: str) -> str:
    """Collapse the gaps a stripped mention leaves, keep the user's line breaks."""
    lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.strip().split("\n")]
    return "\n".join(lines)


def _start_to_track(text: str) -> str:
    """`/start SF123` (a deep link) → `/track SF123`; a bare `/start` stays."""
    match = re.match(r"^/start\s+(\S.*)$", text, re.DOTALL)
    return f"/track {match[1]}" if match else text


def _from_callback(update: Update) -> Incoming | None:
    query = update.callback_query
    assert query is not None
    carrier = query.message
    if carrier is None or query.data is None:
        return None  # inline-mode messages and game buttons are not ours
    if not (isinstance(query.data, str) and isinstance(query.id, str)):
        raise ValueError("callback data or id is not text")  # PTB does not check types
    is_group = carrier.chat.type in _GROUP_TYPES
    return Incoming(
        platform=PLATFORM,
        chat_id=str(carrier.chat.id),
        user_id=str(query.from_user.id),
        message_id=str(carrier.message_id),
        text="",
        is_group=is_group,
        addressed=True,
        user_name=_display_name(query.from_user),
        language=_language(query.from_user),
        action=query.data,
        callback_id=query.id,
    )


def _display_name(user: User) -> str:
    return user.full_name or user.username or str(user.id)


def _language(user: User) -> str:
    """ "zh" or "en" from the user's client language; "" when Telegram does not say (the
    engine then reads the chat's language from the messages)."""
    code = (user.language_code or "").lower()
    if not code:
        return ""
    return "zh" if code.startswith("zh") else "en"


def verify_secret(header_value: str | None, secret: str | None) -> bool:
    """Constant-time check of the webhook secret header; no secret configured = reject all."""
    if not secret or header_value is None:
        return False
    return hmac.compare_digest(header_value.encode("utf-8"), secret.encode("utf-8"))


def _update_data() -> dict:
    """The request's update as a dict with an integer `update_id`; `Rejected(400)` else."""
    if not request.is_json:
        raise Rejected(400, "not JSON")
    data = load_json(request.get_data())
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if type(update_id) is not int or not 0 <= update_id < 2**63:
        raise Rejected(400, "malformed update")
    return data  # type: ignore[return-value]


def make_blueprint(inbox: Inbox, bridge: BotBridge, secret: str | None) -> Blueprint:
    """`POST /telegram/webhook`: verify the secret, parse, `inbox.accept`, answer 200 at once."""
    blueprint = Blueprint("telegram", __name__)
    if secret:
        bridge.identity_future()  # getMe now, so the first update does not wait for it

    @blueprint.post(WEBHOOK_PATH)
    def telegram_webhook():
        if not verify_secret(request.headers.get(SECRET_HEADER), secret):
            return jsonify(error="forbidden"), 403
        try:
            data = _update_data()
        except Rejected as rejected:
            return jsonify(error=rejected.reason), rejected.status
        try:
            me = bridge.identity(IDENTITY_WAIT)
        except Exception as exc:  # noqa: BLE001 - any failure: let Telegram redeliver later
            log.warning("telegram getMe failed (%s); asking Telegram to retry", type(exc).__name__)
            return jsonify(error="bot identity unavailable"), 503
        result = read_update(data, bridge.bot, me)
        if result is None:
            log.debug("telegram update %s (%s) ignored", data["update_id"], update_kind(data))
        hand_over(inbox, result)  # an unreadable update is recorded; still 200: a retry
        # would fail the same way and hold up every later update of this chat
        return jsonify(ok=True)

    return blueprint
