"""The main paths at DEBUG, logged as in production, leak no secret, phone tail or message.

A message travels each platform's route to the worker, the paid upstream (asking for an SF
phone tail, then using it), and back through each platform's API, with upstream failures,
a refused send, forged and malformed requests on the way. Every record any logger made is
then searched for every secret of the settings, the phone tail, the message text and the
user's name. (tests/support/log_scan.py does the same for secrets across the whole suite.)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from tests.door import stack as s
from tests.door.stack import Stack, running_stack
from tests.fakes.upstream_server import FakeUpstream

SF = "SF1524097970481"
YT = "YT1234567890123"
TEXT = "canary-words-Zq8Kp"  # what a user wrote: never logged
TAIL = "7391"  # a phone tail: never logged
NAME = "Canary-Name-Wx4"  # a user's display name: never logged
APPCODE = "canary-appcode-9f1c2e77b4"


@pytest.fixture
def production_logging() -> Iterator[None]:
    """Levels as `kuaidi-bot run` sets them with LOG_LEVEL=DEBUG; restored afterwards."""
    root, httpx = logging.getLogger(), logging.getLogger("httpx")
    saved = root.level, httpx.level
    root.setLevel(logging.DEBUG)
    httpx.setLevel(logging.WARNING)  # as adapters/cli.py does: httpx logs whole URLs
    yield
    root.setLevel(saved[0])
    httpx.setLevel(saved[1])


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    """The paid API, answering SF with a timeline and YT with HTTP 500."""
    with FakeUpstream(appcode=APPCODE) as server:
        yield server


@pytest.fixture
def stack(sqlite_url, tmp_path, upstream) -> Iterator[Stack]:
    """Every platform, on the fake upstream with a canary AppCode."""
    upstream.set_track(SF, 3, [("2026-01-01 09:00:00", "【深圳】派送中")], kdmc="顺丰速运")
    upstream.set_response(YT, 500, {"message": "upstream down"})
    paid = upstream.settings().model_dump(include={"kuaidi_api_base", "kuaidi_timeout"})
    with running_stack(
        sqlite_url, tmp_path, kuaidi_appcode=APPCODE, kuaidi_demo=False, **paid
    ) as running:
        yield running


def telegram_message(update_id: int, text: str, user_id: int = 777001) -> s.Request:
    user = {"id": user_id, "is_bot": False, "first_name": NAME, "language_code": "zh-hans"}
    message = {
        "message_id": update_id,
        "date": s.now(),
        "chat": {"id": user_id, "type": "private", "first_name": NAME},
        "from": user,
        "text": text,
    }
    return s.telegram({"update_id": update_id, "message": message})


def everything_once(stack: Stack) -> None:
    """Each platform's main path, failures included; every reply sent."""
    requests = [
        telegram_message(9001, f"帮我查 {SF} {TEXT}"),  # SF: the bot asks for the tail
        telegram_message(9002, f"尾号{TAIL}"),  # … and uses it
        telegram_message(9003, f"{YT} {TEXT}"),  # the upstream answers 500
        s.wecom_app_post(
            f"<xml><ToUserName>{s.CORP_ID}</ToUserName><FromUserName>lisi</FromUserName>"
            f"<CreateTime>{s.now()}</CreateTime><MsgType>text</MsgType>"
            f"<Content>{SF} {TEXT}</Content><MsgId>88001</MsgId></xml>"
        ),
        s.wecom_aibot_post(
            {
                "msgid": "m-canary",
                "chattype": "group",
                "chatid": "g1",
                "from": {"userid": "w"},
                "response_url": stack.wecom_api.response_url("c1"),
                "msgtype": "text",
                "text": {"content": f"@bot {YT} {TEXT} 尾号{TAIL}"},
            }
        ),  # fmt: skip
        s.feishu("/feishu/events", feishu_message(f"{SF} {TEXT} 尾号{TAIL}")),
        # Signed but unreadable, and forged: refused, logged without their content.
        s.wecom_aibot_post({"msgid": 5, "msgtype": "text", "text": {"content": TEXT}}),
        s.telegram({"update_id": 9004, "message": {"text": TEXT, "date": 10**13}}),
        s.feishu("/feishu/events", feishu_message(TEXT)).but(headers={}),
    ]
    for request in requests:
        assert request.send(stack.client).status_code < 500
    stack.work_off()
    stack.send_off()
    # A send Telegram refuses, its error quoting the text.
    stack.telegram_api.fail_next("sendMessage", 400, f"Bad Request: can't parse {TEXT}")
    assert telegram_message(9005, f"{SF} {TEXT}", 777002).send(stack.client).status_code == 200
    stack.work_off()
    stack.send_off()


def feishu_message(text: str) -> dict:
    payload = json.loads(json.dumps(s.FEISHU["event"]["plaintext"]))
    payload["event"]["message"]["content"] = json.dumps({"text": text}, ensure_ascii=False)
    payload["event"]["message"]["chat_type"] = "p2p"
    return payload


def leaks(records: list[logging.LogRecord], secrets: dict[str, str]) -> list[str]:
    """'<what> in <logger>' for every secret, tail, text or name found in a record."""
    tail = re.compile(rf"(?<!\d){TAIL}(?!\d)")
    found = []
    formatter = logging.Formatter()
    for record in records:
        text = record.getMessage()
        if record.exc_info:
            text += formatter.formatException(record.exc_info)
        for what, value in secrets.items():
            if value in text:
                found.append(f"{what} in {record.name}")
        if tail.search(text):
            found.append(f"phone tail in {record.name}")
    return found


def test_main_paths_log_no_secret_phone_tail_text_or_name(
    stack, upstream, production_logging, caplog
):
    caplog.set_level(logging.DEBUG)
    everything_once(stack)

    settings = stack.app.settings
    secrets = {
        name: value.get_secret_value()
        for name, value in settings
        if isinstance(value, SecretStr) and value.get_secret_value()
    }
    secrets.update(message_text=TEXT, user_name=NAME)
    assert leaks(caplog.records, secrets) == []
    # Not vacuous: the paths ran, logged, and used the tail and the secrets.
    loggers = {r.name for r in caplog.records}
    assert {"bot.lookup", "adapters.wecom.inbound", "adapters.telegram.inbound"} <= loggers
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert len(stack.telegram_api.of("sendMessage")) >= 2  # more wait for the chat limit
    assert stack.wecom_api.sent("/cgi-bin/message/send")
    assert stack.feishu_api.calls("POST", r"/open-apis/im/v1/messages.*")
    assert any(r.query.get("tel") == TAIL for r in upstream.requests_for(SF))
