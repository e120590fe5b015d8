"""Hostile requests that once answered 500 or were accepted, through the real application.

Each names the failure it guards against: nesting that overflowed the JSON decoder, values
python-telegram-bot cannot read, text no database stores, replays with old timestamps, an
echostr with junk appended, XML entities. The properties hold on every route: no 5xx, nothing
stored for a refused request, and what was accepted is handled by the worker without error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.door import stack as s
from tests.door.stack import Stack, running_stack

NESTED = b"[" * 5000 + b"]" * 5000
AIBOT_TEXT = {
    "msgid": "m-hostile",
    "chattype": "single",
    "from": {"userid": "lisi"},
    "response_url": "http://127.0.0.1:9/r",
    "msgtype": "text",
}


@pytest.fixture
def stack(sqlite_url, tmp_path) -> Iterator[Stack]:
    """The whole application on SQLite."""
    with running_stack(sqlite_url, tmp_path) as running:
        yield running


@pytest.fixture
def any_db_stack(db_url, tmp_path) -> Iterator[Stack]:
    """The whole application on SQLite and on PostgreSQL."""
    with running_stack(db_url, tmp_path) as running:
        yield running


def telegram_text(update_id: int, text: object, **message) -> dict:
    """A private text message update; `message` overrides fields of the message."""
    base = {
        "message_id": update_id,
        "date": 1767225600,
        "chat": {"id": 4242, "type": "private", "first_name": "A"},
        "from": {"id": 4242, "is_bot": False, "first_name": "A"},
        "text": text,
    }
    return {"update_id": update_id, "message": {**base, **message}}


def refused(stack: Stack, request: s.Request, status: int | set, *, recorded: int = 0) -> None:
    """`request` gets `status` (or one of them), and adds no message for the worker;
    `recorded`: rows added as rejected (0 for a forgery: not even that)."""
    rows, stored = stack.inbox_rows(), stack.stored_rows()
    response = request.send(stack.client)
    assert response.status_code in (status if isinstance(status, set) else {status})
    assert (stack.inbox_rows() - rows, stack.stored_rows() - stored) == (recorded, 0)


def nested_text(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(s.telegram(NESTED), id="telegram"),
        pytest.param(s.telegram({"update_id": 1, "x": json.loads(nested_text(200))}), id="tg-200"),
        pytest.param(
            s.Request(
                "POST", "/feishu/events", NESTED, headers={"Content-Type": "application/json"}
            ),
            id="feishu-events-unsigned",
        ),
        pytest.param(s.Request("POST", "/feishu/card", NESTED), id="feishu-card-unsigned"),
        pytest.param(
            s.Request("POST", "/wecom/aibot", NESTED, s.wecom_query("x", aibot=True)),
            id="wecom-aibot-unsigned",
        ),
    ],
)
def test_deeply_nested_json_is_refused_with_400(stack, request_):
    refused(stack, request_, 400)


def test_deeply_nested_json_inside_valid_signatures_is_refused_without_a_500(stack):
    for path in ("/feishu/events", "/feishu/card"):  # the envelope itself: not JSON we read
        refused(stack, s.feishu(path, NESTED), 400)
    # Signed, decrypted, unreadable: recorded as rejected, never handed to a worker.
    refused(stack, s.wecom_aibot_post(nested_text(5000)), 400, recorded=1)
    assert stack.rejected("wecom") == 1


def test_out_of_range_date_and_textless_messages_are_rejected_not_500(stack):
    for update in (
        telegram_text(11, "SF1524097970481", date=10**12),  # OverflowError in datetime
        telegram_text(12, "SF1524097970481", date=-(10**12)),
        telegram_text(13, ""),  # "This Message has no 'text'" with entities
        telegram_text(14, "", entities=[{"type": "bot_command", "offset": 0, "length": 6}]),
        telegram_text(15, ["not", "a", "string"]),
        telegram_text(16, "x", chat={"id": {"no": 1}, "type": "private"}),
        {
            "update_id": 17,
            "callback_query": {  # an id that is no text (found by the fuzz)
                "id": True,
                "chat_instance": "-1",
                "data": "r:SF1524097970481",
                "from": {"id": 4242, "is_bot": False, "first_name": "A"},
                "message": telegram_text(17, "card")["message"],
            },
        },
    ):
        response = s.telegram(update).send(stack.client)
        assert response.status_code == 200, response.get_data(as_text=True)
    assert stack.stored_rows() == 0
    assert stack.rejected("telegram") == 5  # the odd types and dates: recorded, skipped


def test_update_ids_outside_telegrams_range_are_refused(stack):
    for update_id in (-1, 2**63, 10**40, True, "7", 1.5):
        refused(stack, s.telegram(telegram_text(1, "hi") | {"update_id": update_id}), 400)


@pytest.mark.parametrize(
    "text",
    ["SF1524097970481\ud800", "\udfff尾号\u00001234", "\x00" * 10, "a\ud83d\ude00\ud83db"],
    ids=["lone-high", "lone-low-and-nul", "only-nul", "pair-then-lone"],
)
def test_unstorable_text_is_cleaned_at_the_door_on_both_databases(any_db_stack, text):
    stack = any_db_stack
    body = json.dumps(telegram_text(21, text)).encode()  # ASCII JSON with \\ud800 escapes
    assert s.telegram(body).send(stack.client).status_code == 200
    aibot = {**AIBOT_TEXT, "text": {"content": text}}
    assert s.wecom_aibot_post(json.dumps(aibot)).send(stack.client).status_code == 200
    feishu = json.loads(json.dumps(FEISHU_MESSAGE))
    feishu["event"]["message"]["content"] = json.dumps({"text": text})
    assert s.feishu("/feishu/events", feishu).send(stack.client).status_code == 200
    assert stack.inbox_rows() == 3
    stack.work_off()
    assert stack.unfinished_or_failed() == []


FEISHU_MESSAGE = s.FEISHU["event"]["plaintext"]


@pytest.mark.parametrize("timestamp", [0, 1451606400, 1577836800, "now-360", "now+360", "x"])
def test_signed_wecom_and_feishu_requests_outside_five_minutes_are_refused(stack, timestamp):
    when = {"now-360": s.now() - 360, "now+360": s.now() + 360}.get(timestamp, timestamp)
    aibot = {**AIBOT_TEXT, "text": {"content": "SF1524097970481"}}
    requests = [
        s.wecom_aibot_post(aibot, timestamp=when),
        s.wecom_app_post(APP_TEXT, timestamp=when),
        s.wecom_url_check("/wecom/callback", "1288432023552776189", timestamp=when),
        s.wecom_url_check("/wecom/aibot", "5927461827364", timestamp=when),
        s.feishu("/feishu/events", FEISHU_MESSAGE, timestamp=when),
    ]
    for request in requests:  # not a number at all: refused as malformed (400) or forged
        refused(stack, request, {400, 403} if timestamp == "x" else 403)


APP_TEXT = (
    f"<xml><ToUserName>{s.CORP_ID}</ToUserName><FromUserName>lisi</FromUserName>"
    "<CreateTime>1767225600</CreateTime><MsgType>text</MsgType>"
    "<Content>SF1524097970481</Content><MsgId>70001</MsgId><AgentID>1000002</AgentID></xml>"
)


def test_fresh_signed_requests_are_accepted_and_a_replay_is_a_duplicate(stack):
    aibot = {**AIBOT_TEXT, "text": {"content": "SF1524097970481"}}
    for request in (
        s.wecom_aibot_post(aibot),
        s.wecom_app_post(APP_TEXT),
        s.feishu("/feishu/events", FEISHU_MESSAGE),
        s.telegram(telegram_text(31, "SF1524097970481")),
    ):
        for _ in range(2):  # the same request again: answered, not stored twice
            assert request.send(stack.client).status_code == 200
    assert stack.inbox_rows() == 4
    stack.work_off()
    assert stack.unfinished_or_failed() == []


@pytest.mark.parametrize("junk", ["AAAA", "=", "!!", "%00", " x", "\n"])
def test_signed_url_check_with_junk_after_the_echostr_is_refused(stack, junk):
    for path in ("/wecom/callback", "/wecom/aibot"):
        good = s.wecom_url_check(path, "1288432023552776189")
        assert good.send(stack.client).data == b"1288432023552776189"
        echostr = good.query["echostr"] + junk
        query = {**s.wecom_query(echostr, aibot=path.endswith("aibot")), "echostr": echostr}
        response = good.but(query=query).send(stack.client)
        assert response.status_code == 400
        assert b"1288432023552776189" not in response.data


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {b} "&{a};&{a};&{a};&{a};&{a};&{a};&{a};&{a};&{a};&{a};">'
              for a, b in zip("abcdefgh", "bcdefghi", strict=True))
    + "]><xml><ToUserName>&i;</ToUserName><Encrypt>&i;</Encrypt></xml>"
)  # fmt: skip
XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>&x;</ToUserName><Encrypt>&x;</Encrypt></xml>"
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd">%p;]>'
    "<xml><Encrypt>AAAA</Encrypt></xml>"
)


@pytest.mark.parametrize("xml", [BOMB, XXE, PARAMETER_ENTITY], ids=["bomb", "xxe", "param"])
def test_xml_entities_are_refused_without_expansion(stack, xml):
    # As the outer envelope: refused before any signature is looked at.
    request = s.Request("POST", "/wecom/callback", xml.encode(), s.wecom_query("x", aibot=False))
    refused(stack, request, 400)
    # Inside a validly signed, encrypted message: decrypted, then recorded as rejected.
    refused(stack, s.wecom_app_post(xml), 400, recorded=1)
    assert stack.rejected("wecom") == 1


def test_ids_beyond_what_the_runtime_takes_are_refused_and_not_stored(stack):
    aibot = {**AIBOT_TEXT, "msgid": "m" * 2000, "text": {"content": "SF1524097970481"}}
    refused(stack, s.wecom_aibot_post(aibot), 400)
    feishu = json.loads(json.dumps(FEISHU_MESSAGE))
    feishu["event"]["message"]["chat_id"] = "oc_" + "c" * 2000
    response = s.feishu("/feishu/events", feishu).send(stack.client)
    assert response.status_code < 500 and stack.stored_rows() == 0
