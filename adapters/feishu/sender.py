"""The Feishu `Sender`: render a reply, send / reply / update it, and classify the answer.

Every send carries a `uuid` derived from the outbox row's idempotency key, so a retry after a
lost response cannot show the message twice (Feishu keeps one success per uuid for an hour).
"""

from __future__ import annotations

import hashlib
import logging

from adapters.feishu.client import ApiReply, FeishuApi
from adapters.feishu.render import render
from bot.models import Reply, Target
from bot.runtime.ports import RateLimit, SendLimits, SendResult

log = logging.getLogger(__name__)

#: 5 QPS per user and per group (shared by the group's bots), 50/s for the app.
FEISHU_LIMITS = SendLimits(
    per_chat=RateLimit(5, 1.0), per_group=RateLimit(5, 1.0), overall=RateLimit(50, 1.0)
)
RATE_LIMITED = frozenset({230020, 99991400})
#: Refusals a retry cannot fix: the bot is not in the chat, its bot capability is off, or the
#: user is outside the app's availability range.
PERMANENT = frozenset({230002, 230006, 230013})


def send_uuid(idempotency_key: str) -> str:
    """The `uuid` for a send: stable per outbox row, ≤ 50 characters."""
    return hashlib.sha1(idempotency_key.encode("utf-8")).hexdigest()[:32]


def receive_id_type(chat_id: str) -> str:
    """How Feishu should read a target id: chats (`oc_…`, p2p or group) by chat_id, and an
    admin-configured user by open_id (`ou_…`) or union_id (`on_…`)."""
    if chat_id.startswith("ou_"):
        return "open_id"
    if chat_id.startswith("on_"):
        return "union_id"
    return "chat_id"


class FeishuSender:
    """Sends core replies through the Feishu IM API."""

    platform = "feishu"
    limits = FEISHU_LIMITS

    def __init__(self, api: FeishuApi) -> None:
        self._api = api

    def send(self, target: Target, reply: Reply, idempotency_key: str) -> SendResult:
        """Render and send one reply; edits patch the card, group answers quote the asker."""
        msg_type, content = render(reply, target)
        uuid = send_uuid(idempotency_key)
        if reply.edit_of and msg_type == "interactive":
            answer = self._api.call(
                "PATCH", f"/open-apis/im/v1/messages/{reply.edit_of}", json={"content": content}
            )
            if answer.ok:
                return SendResult(ok=True, message_id=reply.edit_of)
            if answer.code in RATE_LIMITED or answer.code in PERMANENT:
                return _result(answer)
            log.info("feishu: card update failed (code %s); sending a new message", answer.code)
        body = {"msg_type": msg_type, "content": content, "uuid": uuid}
        if reply.reply_to:
            if target.thread_id:  # asked inside a thread (topic): answer there
                body["reply_in_thread"] = True
            answer = self._api.call(
                "POST", f"/open-apis/im/v1/messages/{reply.reply_to}/reply", json=body
            )
            if answer.ok or answer.code in RATE_LIMITED or answer.code in PERMANENT:
                return _result(answer)
            # The asker's message may be recalled or deleted (230011…): post in the chat.
            log.info("feishu: reply failed (code %s); sending to the chat", answer.code)
        answer = self._api.call(
            "POST",
            "/open-apis/im/v1/messages",
            params={"receive_id_type": receive_id_type(target.chat_id)},
            json={**body, "receive_id": target.chat_id},
        )
        return _result(answer)


def _result(answer: ApiReply) -> SendResult:
    """Feishu's answer as a SendResult."""
    if answer.ok:
        return SendResult(ok=True, message_id=str(answer.data.get("message_id") or "") or None)
    error = f"feishu {answer.code}: {answer.msg}"
    if answer.code in RATE_LIMITED:
        return SendResult(ok=False, retry_after=answer.retry_after or 1.0, error=error)
    if answer.code in PERMANENT:
        return SendResult(ok=False, permanent=True, error=error)
    return SendResult(ok=False, error=error)
