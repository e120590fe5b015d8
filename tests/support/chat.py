"""A fake chat for engine tests: a user who sends `Incoming`s and keeps the replies."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.models import Incoming, Reply
from bot.render import render_text
from tests.fakes.upstream_server import RecordedRequest

SF = "SF1524097970481"
YT = "YT1234567890123"


def sf_needs_tail(request: RecordedRequest):
    """Like the real service: an SF query without `tel` is refused (666)."""
    from tests.fakes.upstream_server import FakeResponse, track_body

    if request.query.get("tel"):
        body = track_body(
            request.number, 2, [("2026-01-01 08:00:00", "【深圳】已揽收")], "顺丰速运"
        )
        return FakeResponse(200, body, {}, 0.0)
    msg = "顺丰快递查询需要提供收件人或寄件人手机尾号【tel字段】"
    return FakeResponse(666, {"ok": 0, "msg": msg, "status": 0, "data": []}, {}, 0.0)


@dataclass
class Chat:
    """One user in one chat; `say` runs the engine and returns the replies."""

    engine: object
    platform: str = "test"
    chat_id: str = "c1"
    user_id: str = "u1"
    is_group: bool = False
    language: str = "zh"
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def say(self, text: str, *, addressed: bool | None = None, **extra) -> list[Reply]:
        message = Incoming(
            platform=self.platform,
            chat_id=self.chat_id,
            user_id=self.user_id,
            message_id=str(next(self.counter)),
            text=text,
            is_group=self.is_group,
            addressed=(not self.is_group) if addressed is None else addressed,
            language=self.language,
            **extra,
        )
        return self.engine.handle(message)

    def say_text(self, text: str, **kw) -> str:
        return "\n---\n".join(render_text(r) for r in self.say(text, **kw))
