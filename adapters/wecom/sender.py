"""`WeComSender`: a core `Reply` out through the channel its target belongs to.

- `robot:<key>` → a group robot webhook (`/cgi-bin/webhook/send?key=`), send-only, 20/min;
- `aibot:<userid>` or any other group chat → the AI bot's one-shot `response_url` for the
  message being answered (one message, shortened if needed); a push to a group, which has
  no message to answer, goes to the group robot mapped in `WECOM_GROUP_ROBOTS`;
- anything else is a user id → the self-built app's `message/send` (2048-byte chunks, with
  WeCom's duplicate check so a retried row cannot show twice).

WeCom answers are mapped to `SendResult`: 45009 → retry later, 81013/`invaliduser` →
permanent (pushes to that user stop), invalid tokens are refreshed once inside `WeComApi`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

import httpx
from cachetools import TTLCache

from adapters.wecom import render
from adapters.wecom.client import ApiAnswer, WeComApi, WeComTransportError, post_json
from adapters.wecom.parse import AIBOT_CHAT_PREFIX
from adapters.wecom.response_urls import ResponseUrls
from bot.clock import Clock
from bot.models import Reply, Target
from bot.render import truncate, utf8_len
from bot.runtime.ports import RateLimit, SendLimits, SendResult

log = logging.getLogger(__name__)

ROBOT_PREFIX = "robot:"
RATE_LIMITED = 45009
#: The user is not (or no longer) reachable by this app: stop sending to them.
INVALID_USER_CODES = frozenset({81013, 60111, 40031})
#: A robot key that WeCom does not know (deleted robot / wrong key).
INVALID_ROBOT_CODES = frozenset({93000, 93004})
ROBOT_LIMIT = RateLimit(20, 60)
#: Robot markdown may be twice as long as app messages.
ROBOT_MARKDOWN_BUDGET = 4096

WECOM_LIMITS = SendLimits(
    per_chat=RateLimit(30, 60),  # WeCom: ≤ 30 app messages per user per minute
    per_group=ROBOT_LIMIT,  # group robots: ≤ 20 per minute; AI-bot replies are one per message
    overall=RateLimit(600, 60),
)


class WeComSender:
    """Sends replies for platform "wecom" (see the module docstring for the routing)."""

    platform = "wecom"
    limits = WECOM_LIMITS

    def __init__(
        self,
        http: httpx.Client,
        api_base: str,
        api: WeComApi | None,
        agent_id: str | None,
        response_urls: ResponseUrls,
        markdown: bool = True,
        clock: Clock | None = None,
        group_robots: dict[str, str] | None = None,
    ) -> None:
        self._http = http
        self._group_robots = dict(group_robots or {})
        self._base = api_base.rstrip("/")
        self._api = api
        self._agent_id = agent_id
        self._urls = response_urls
        self._markdown = markdown
        self._robot_window = _SlidingWindow(ROBOT_LIMIT, clock or Clock())
        # Chunks of a robot reply already posted, by idempotency key (this process only).
        self._robot_progress: TTLCache[str, int] = TTLCache(maxsize=4096, ttl=6 * 3600)
        self._progress_lock = threading.Lock()

    def send(self, target: Target, reply: Reply, idempotency_key: str) -> SendResult:
        """Render and send one reply; see `SendResult` for what the runtime does with it."""
        try:
            if target.chat_id.startswith(ROBOT_PREFIX):
                robot_key = target.chat_id[len(ROBOT_PREFIX) :]
                return self._send_robot(robot_key, reply, idempotency_key)
            if target.is_group or target.chat_id.startswith(AIBOT_CHAT_PREFIX):
                return self._send_aibot(target.chat_id, reply, idempotency_key)
            return self._send_app(target.chat_id, reply)
        except WeComTransportError as exc:
            return SendResult(ok=False, error=str(exc))

    # --- self-built app -----------------------------------------------------------------

    def _send_app(self, user_id: str, reply: Reply) -> SendResult:
        if self._api is None or not self._agent_id:
            return SendResult(ok=False, permanent=True, error="WeCom app not configured")
        kind = "markdown" if self._markdown else "text"
        chunks = render.render_markdown(reply) if self._markdown else render.render_plain(reply)
        result = SendResult(ok=True)
        for chunk in chunks:
            payload = {
                "touser": user_id,
                "agentid": int(self._agent_id),
                "msgtype": kind,
                kind: {"content": chunk},
                "enable_duplicate_check": 1,
                "duplicate_check_interval": 1800,
            }
            result = _app_result(self._api.call("/cgi-bin/message/send", payload), user_id)
            if not result.ok:
                return result
        return result

    # --- AI bot ---------------------------------------------------------------------------

    def _send_aibot(self, chat_id: str, reply: Reply, idempotency_key: str) -> SendResult:
        found = self._urls.find(chat_id, reply.reply_to)
        if found is None and chat_id in self._group_robots:
            # A push (no message to answer): the group's robot carries it.
            return self._send_robot(self._group_robots[chat_id], reply, idempotency_key)
        if found is None:
            # Nothing to answer through: AI-bot chats cannot receive pushes (use a robot).
            return SendResult(
                ok=False, permanent=True, error="no unused AI-bot response_url for this chat"
            )
        msgid, url = found
        content = render.render_single(reply, markdown=True)
        if not self._markdown:
            # response_url takes markdown only; the plain rendering, defused, stands in.
            # Look-alikes are wider in UTF-8 than what they replace: cut again after.
            content = truncate(
                render.neutralise(render.render_single(reply, markdown=False)), 2048, utf8_len
            )
        answer = post_json(
            self._http, url, {"msgtype": "markdown", "markdown": {"content": content}}
        )
        if answer.errcode == RATE_LIMITED:
            return SendResult(ok=False, retry_after=60, error="rate limited (45009)")
        self._urls.spend(msgid, url)  # used or refused: WeCom takes one call per URL
        if not answer.ok:
            # Not permanent: one refused answer (busy, expired URL) says nothing about the
            # chat, and a permanent result would pause the group's subscriptions.
            return SendResult(ok=False, error=_describe(answer))
        return SendResult(ok=True)  # response_url answers carry no message id

    # --- group robot ----------------------------------------------------------------------

    def _send_robot(self, key: str, reply: Reply, idempotency_key: str) -> SendResult:
        """Post the reply's chunks; a retried row resumes after the chunks already posted
        (robots have no duplicate check, so re-posting chunk 1 would show twice)."""
        if self._markdown:
            chunks = render.render_markdown(reply, ROBOT_MARKDOWN_BUDGET)
            users = _mentioned(reply)
            if users and chunks:
                tags = " ".join(f"<@{user}>" for user in users)
                chunks[0] = f"{tags}\n{chunks[0]}"
        else:
            chunks = render.render_plain(reply)
        url = f"{self._base}/cgi-bin/webhook/send"
        with self._progress_lock:
            done = self._robot_progress.get(idempotency_key, 0)
        for index, chunk in enumerate(chunks[done:], start=done):
            if index:
                with self._progress_lock:
                    self._robot_progress[idempotency_key] = index
            wait = self._robot_window.wait_for(key)
            if wait > 0:
                return SendResult(ok=False, retry_after=wait, error="robot limit 20/min")
            answer = post_json(
                self._http, url, _robot_payload(chunk, reply, self._markdown), {"key": key}
            )
            if answer.errcode == RATE_LIMITED:
                return SendResult(ok=False, retry_after=60, error="rate limited (45009)")
            if answer.errcode in INVALID_ROBOT_CODES:
                return SendResult(ok=False, permanent=True, error=_describe(answer))
            if not answer.ok:
                return SendResult(ok=False, error=_describe(answer))
        with self._progress_lock:
            self._robot_progress.pop(idempotency_key, None)
        return SendResult(ok=True)


def _robot_payload(chunk: str, reply: Reply, markdown: bool) -> dict:
    if markdown:
        return {"msgtype": "markdown", "markdown": {"content": chunk}}
    text: dict = {"content": chunk}
    if users := _mentioned(reply):
        text["mentioned_list"] = users
    return {"msgtype": "text", "text": text}


def _mentioned(reply: Reply) -> list[str]:
    """The reply's mentions as safe, non-empty user ids."""
    return [safe for user in reply.mentions if (safe := _safe_user_id(user))]


def _safe_user_id(user_id: str) -> str:
    """User ids are [A-Za-z0-9_.@-]; anything else would be markup inside `<@…>`."""
    return "".join(c for c in user_id if c.isascii() and (c.isalnum() or c in "_.@-"))


def _describe(answer: ApiAnswer) -> str:
    return f"errcode {answer.errcode}: {answer.errmsg}"


def _app_result(answer: ApiAnswer, user_id: str) -> SendResult:
    """Map a `message/send` answer to a `SendResult`."""
    if answer.errcode == RATE_LIMITED:
        return SendResult(ok=False, retry_after=60, error="rate limited (45009)")
    if answer.errcode in INVALID_USER_CODES:
        return SendResult(ok=False, permanent=True, error=_describe(answer))
    if not answer.ok:
        return SendResult(ok=False, error=_describe(answer))
    invalid = str(answer.body.get("invaliduser") or "")
    if user_id in invalid.split("|"):
        return SendResult(ok=False, permanent=True, error="invalid user (invaliduser)")
    return SendResult(ok=True, message_id=str(answer.body.get("msgid") or "") or None)


class _SlidingWindow:
    """At most `limit.count` sends per `limit.seconds` per key, in this process."""

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self._limit = limit
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_for(self, key: str) -> float:
        """0 and a slot taken, or the seconds until a slot frees up."""
        with self._lock:
            now = self._clock.now().timestamp()
            sent = self._sent.setdefault(key, deque())
            while sent and sent[0] <= now - self._limit.seconds:
                sent.popleft()
            if len(sent) >= self._limit.count:
                return sent[0] + self._limit.seconds - now
            sent.append(now)
            return 0.0
