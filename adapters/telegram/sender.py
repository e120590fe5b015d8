"""The Telegram `Sender`: renders a `Reply` to HTML and sends it through the PTB bridge.

Called from the runtime's sender threads (synchronous); each Bot API call runs on the
adapter's event loop via `BotBridge.call`. Errors map onto `SendResult`: `RetryAfter` →
`retry_after`, `Forbidden` (blocked, kicked) and "chat not found" → `permanent`; network
faults propagate so the runtime retries with backoff.

A reply longer than one message goes out as several; progress per idempotency key is kept in
memory so a retried row does not repeat the chunks that already went out.
"""

from __future__ import annotations

import logging
import threading
import warnings
from datetime import timedelta

import telegram
from cachetools import TTLCache
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.bridge import BotBridge
from adapters.telegram.render import keyboard, render_messages, visible_text
from bot.masking import mask
from bot.models import Reply, Target
from bot.runtime.ports import RateLimit, SendLimits, SendResult

log = logging.getLogger(__name__)

# PTB 22.x's own RetryAfter constructor reads its deprecated int `retry_after`, so every rate
# limit would print this migration warning; we handle both the int and the timedelta form.
warnings.filterwarnings(
    "ignore", message=r".*`retry_after` will be of type", category=PTBDeprecationWarning
)

#: Telegram's flood limits (`telegram.constants.FloodLimit`).
TELEGRAM_LIMITS = SendLimits(
    per_chat=RateLimit(1, 1.0), per_group=RateLimit(20, 60.0), overall=RateLimit(30, 1.0)
)
_EDIT_FALLBACK = ("message is not modified", "message to edit not found", "can't be edited")
_GONE = ("chat not found", "user not found", "peer_id_invalid")


class TelegramSender:
    """Sends core replies to Telegram chats (`Sender` port)."""

    platform = "telegram"
    limits = TELEGRAM_LIMITS

    def __init__(self, bridge: BotBridge) -> None:
        self._bridge = bridge
        # idempotency key → (chunks already sent, id of the last one); sender threads share it
        self._progress: TTLCache[str, tuple[int, int]] = TTLCache(maxsize=4096, ttl=6 * 3600)
        self._progress_lock = threading.Lock()

    def send(self, target: Target, reply: Reply, idempotency_key: str) -> SendResult:
        """Acknowledge a button press if asked, then send (or edit) the rendered messages."""
        if reply.callback_id:
            self._answer_callback(reply.callback_id)
        chunks = render_messages(reply)
        if not chunks:
            return SendResult(ok=True)
        try:
            chat = _chat(target.chat_id)
            message_id = self._deliver(chat, _topic(target), reply, chunks, idempotency_key)
        except RetryAfter as exc:
            return SendResult(ok=False, retry_after=_seconds(exc), error="rate limited")
        except Forbidden as exc:
            return SendResult(ok=False, permanent=True, error=self._safe(exc))
        except BadRequest as exc:
            gone = any(marker in exc.message.lower() for marker in _GONE)
            return SendResult(ok=False, permanent=gone, error=self._safe(exc))
        return SendResult(ok=True, message_id=str(message_id))

    def _deliver(
        self, chat_id: int | str, topic: int | None, reply: Reply, chunks: list[str], key: str
    ) -> int:
        """Send the chunks not yet sent for `key`, every one into the reply's forum topic
        (else it lands in "General"); buttons go under the last one."""
        with self._progress_lock:
            done, last_id = self._progress.get(key, (0, 0))
        markup = keyboard(reply)
        for index in range(done, len(chunks)):
            is_last = index == len(chunks) - 1
            options = {"reply_markup": markup if is_last else None}
            if topic is not None:
                options["message_thread_id"] = topic
            if index == 0 and reply.edit_of:
                last_id = self._edit_or_send(chat_id, int(reply.edit_of), chunks[0], options)
            else:
                if index == 0 and reply.reply_to:
                    options["reply_parameters"] = _quote(reply.reply_to)
                last_id, chat_id = self._send_chunk(chat_id, chunks[index], options)
            with self._progress_lock:
                self._progress[key] = (index + 1, last_id)
        return last_id

    def _send_chunk(
        self, chat_id: int | str, html_text: str, options: dict
    ) -> tuple[int, int | str]:
        """sendMessage; follows a group's migration to a supergroup once."""
        try:
            return self._send_html(chat_id, html_text, options), chat_id
        except ChatMigrated as exc:
            new_id = int(exc.new_chat_id)
            log.warning("telegram chat %s migrated to %s; sending there", chat_id, new_id)
            return self._send_html(new_id, html_text, options), new_id

    def _send_html(self, chat_id: int | str, html_text: str, options: dict) -> int:
        """sendMessage in HTML; if Telegram cannot parse it, the same text once as plain."""
        try:
            message = self._bridge.call(
                lambda bot: bot.send_message(
                    chat_id, html_text, parse_mode=ParseMode.HTML, **options
                )
            )
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            log.error("telegram rejected our HTML (%s); sending plain text", exc.message)
            plain = visible_text(html_text)
            message = self._bridge.call(lambda bot: bot.send_message(chat_id, plain, **options))
        return message.message_id

    def _edit_or_send(
        self, chat_id: int | str, message_id: int, html_text: str, options: dict
    ) -> int:
        """editMessageText; a message that is gone, too old or unchanged → a new message.
        (An edit stays where the message is: the topic only matters for a new one.)"""
        markup = options.get("reply_markup")
        try:
            result = self._bridge.call(
                lambda bot: bot.edit_message_text(
                    html_text, chat_id, message_id, parse_mode=ParseMode.HTML, reply_markup=markup
                )
            )
        except BadRequest as exc:
            if not any(marker in exc.message.lower() for marker in _EDIT_FALLBACK):
                raise
            log.debug("telegram edit of %s failed (%s); sending anew", message_id, exc.message)
            return self._send_chunk(chat_id, html_text, options)[0]
        return result.message_id if isinstance(result, telegram.Message) else message_id

    def _answer_callback(self, callback_id: str) -> None:
        """answerCallbackQuery; a press too old to answer must not block the reply itself."""
        try:
            self._bridge.call(lambda bot: bot.answer_callback_query(callback_id))
        except TelegramError as exc:
            log.debug("telegram answerCallbackQuery failed: %s", self._safe(exc))

    def _safe(self, error: Exception) -> str:
        return mask(f"{type(error).__name__}: {error}")


def _chat(chat_id: str) -> int | str:
    """Numeric chat ids as int (what Telegram returns); `@channel` names unchanged."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


def _topic(target: Target) -> int | None:
    """The forum topic (message_thread_id) to send into, if the target has one."""
    return int(target.thread_id) if target.thread_id.isdigit() else None


def _quote(message_id: str) -> telegram.ReplyParameters | None:
    """Quote the asker's message; still send when it was deleted meanwhile."""
    try:
        return telegram.ReplyParameters(int(message_id), allow_sending_without_reply=True)
    except ValueError:
        return None


def _seconds(error: RetryAfter) -> float:
    """RetryAfter's wait in seconds (an int, or a timedelta with PTB_TIMEDELTA=1)."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
