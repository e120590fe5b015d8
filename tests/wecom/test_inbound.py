"""Inbound: URL verification, decryption and parsing, with the official vectors and requests
encrypted by wechatpy's own crypto, posted to a real Flask app."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest
import xmltodict
from wechatpy.enterprise.crypto import PrpCrypto

from bot.models import Attachment
from tests.fakes.platform import UnreadBody
from tests.wecom.support import aibot_request, app_request, crypto_for, make_settings, signed


def text_xml(content: str, msg_id: str = "7001", user: str = "lisi", to: str | None = None):
    to = to or "ww1436e0e65a779aee"
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{user}]]>"
        f"</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>"
        f"<AgentID>1000002</AgentID></xml>"
    )


def event_xml(event: str, user: str = "lisi", created: str = "1700000001") -> str:
    return (
        f"<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA["
        f"{user}]]></FromUserName><CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]>"
        f"</MsgType><Event><![CDATA[{event}]]></Event><AgentID>1000002</AgentID></xml>"
    )


def assert_rejected(response, status: int, inbox) -> None:
    assert response.status_code == status
    assert len(response.data) < 100 and b"Traceback" not in response.data
    assert inbox.calls == 0


# --- self-built app: URL verification --------------------------------------------------------


def test_url_verification_answers_vector_a_exactly(client_at, vectors):
    v = vectors["url_verify"]
    client = client_at(v["timestamp"])
    query = "&".join(
        f"{k}={quote(v[k], safe='')}" for k in ("msg_signature", "timestamp", "nonce")
    )
    response = client.get(f"/wecom/callback?{query}&echostr={quote(v['echostr'], safe='')}")
    assert response.status_code == 200
    assert response.data == b"1288432023552776189"
    assert response.mimetype == "text/plain"


def test_url_verification_tolerates_unencoded_plus(client_at, vectors):
    v = vectors["url_verify"]
    client = client_at(v["timestamp"])
    raw = f"msg_signature={v['msg_signature']}&timestamp={v['timestamp']}&nonce={v['nonce']}"
    response = client.get(f"/wecom/callback?{raw}&echostr={v['echostr']}")  # "+" → " "
    assert response.data == b"1288432023552776189"


def test_url_verification_rejects_vector_b(client_at, vectors, inbox):
    v = vectors["negative"]
    client = client_at(v["timestamp"])
    response = client.get("/wecom/callback", query_string={k: v[k] for k in v if k != "note"})
    assert_rejected(response, 403, inbox)


def test_url_verification_without_parameters_is_400(client, inbox):
    assert_rejected(client.get("/wecom/callback"), 400, inbox)


# --- self-built app: messages ----------------------------------------------------------------


def test_vector_c_message_is_accepted_once(client_at, vectors, inbox):
    v = vectors["post_message"]
    client = client_at(v["timestamp"])
    query = {k: v[k] for k in ("msg_signature", "timestamp", "nonce")}
    first = client.post("/wecom/callback", query_string=query, data=v["body"])
    again = client.post("/wecom/callback", query_string=query, data=v["body"])
    assert first.status_code == again.status_code == 200
    assert first.data == b""
    assert len(inbox.accepted) == 1 and inbox.calls == 2
    delivery_id, message = inbox.accepted[0]
    assert delivery_id == "1456453720"
    assert (message.platform, message.chat_id, message.user_id) == (
        "wecom",
        "ChenJiaShun",
        "ChenJiaShun",
    )
    assert (message.text, message.message_id) == ("你好", "1456453720")
    assert message.is_group is False and message.addressed is True


@pytest.mark.parametrize(
    ("event", "expected_id"),
    [
        ("subscribe", "evt:lisi:1700000001"),
        # 1700000001 is 2023-11-15 06:13 China time: China day 19676 since the epoch
        ("enter_agent", "welcome:lisi:24h:19676"),
    ],
)
def test_welcome_events_become_start(client, vectors, inbox, event, expected_id):
    query, body = app_request(vectors, event_xml(event))
    assert client.post("/wecom/callback", query_string=query, data=body).status_code == 200
    [(delivery_id, message)] = inbox.accepted
    assert delivery_id == expected_id
    assert (message.text, message.chat_id, message.is_group) == ("/start", "lisi", False)


def test_opening_the_app_welcomes_once_per_china_day_and_following_always(client, vectors, inbox):
    china_midnight = 1700064000  # 2023-11-16 00:00 China time
    events = [
        event_xml("enter_agent", created=str(china_midnight - 3600 * 17)),  # 07:00 the day before
        event_xml("enter_agent", created=str(china_midnight - 60)),  # 23:59: same day
        event_xml("subscribe", created=str(china_midnight - 30)),  # first follow: always
        event_xml("enter_agent", created=str(china_midnight + 60)),  # 00:01: a new day
        event_xml("enter_agent", user="wangwu", created=str(china_midnight + 90)),
    ]
    for plaintext in events:
        query, body = app_request(vectors, plaintext)
        assert client.post("/wecom/callback", query_string=query, data=body).status_code == 200

    assert [(m.user_id, m.text) for m in inbox.messages] == [
        ("lisi", "/start"),
        ("lisi", "/start"),
        ("lisi", "/start"),
        ("wangwu", "/start"),
    ]
    assert inbox.calls == 5  # the repeat reached the inbox and was dropped there


def test_welcome_hours_zero_never_welcomes_on_enter_agent():
    from adapters.wecom.parse import parse_app_xml

    assert parse_app_xml(event_xml("enter_agent"), "ww1436e0e65a779aee", 0) is None
    assert parse_app_xml(event_xml("subscribe"), "ww1436e0e65a779aee", 0) is not None


def test_other_messages_and_events_are_ignored(client, vectors, inbox):
    location = text_xml("x").replace("<MsgType><![CDATA[text]]>", "<MsgType><![CDATA[location]]>")
    for plaintext in (location, event_xml("click"), event_xml("unsubscribe")):
        query, body = app_request(vectors, plaintext)
        assert client.post("/wecom/callback", query_string=query, data=body).status_code == 200
    assert inbox.calls == 0


def test_an_app_picture_is_kept_by_its_media_id(client, vectors, inbox):
    image = text_xml("").replace("<MsgType><![CDATA[text]]>", "<MsgType><![CDATA[image]]>")
    image = image.replace("<Content><![CDATA[]]></Content>", "<MediaId>MEDIA_9</MediaId>")
    query, body = app_request(vectors, image)

    assert client.post("/wecom/callback", query_string=query, data=body).status_code == 200

    [message] = inbox.messages
    assert (message.chat_id, message.text) == ("lisi", "")
    assert message.attachments == (Attachment("image", "MEDIA_9"),)


def test_forged_signature_is_403(client, vectors, inbox):
    query, body = app_request(vectors, text_xml("hi"))
    query["msg_signature"] = "0" * 40
    assert_rejected(client.post("/wecom/callback", query_string=query, data=body), 403, inbox)


def test_wrong_receive_id_is_403(client, vectors, inbox):
    query, body = app_request(vectors, text_xml("hi"), receive_id="wwSomeOtherCorp0001")
    assert_rejected(client.post("/wecom/callback", query_string=query, data=body), 403, inbox)


def test_message_for_another_corp_is_403(client, vectors, inbox):
    query, body = app_request(vectors, text_xml("hi", to="wwSomeOtherCorp0001"))
    assert_rejected(client.post("/wecom/callback", query_string=query, data=body), 403, inbox)


def test_truncated_ciphertext_is_400(client, vectors, inbox):
    encrypt = xmltodict.parse(vectors["post_message"]["body"])["xml"]["Encrypt"][:-7]
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    response = client.post("/wecom/callback", query_string=signed(vectors, encrypt), data=body)
    assert_rejected(response, 400, inbox)


@pytest.mark.parametrize(
    "body", ["<xml><Encrypt>abc", "not xml at all", "<xml><Other>1</Other></xml>", ""]
)
def test_malformed_outer_xml_is_400(client, vectors, inbox, body):
    query = signed(vectors, "abc")
    assert_rejected(client.post("/wecom/callback", query_string=query, data=body), 400, inbox)


@pytest.mark.parametrize(
    "plaintext",
    ["<xml><MsgType>text", "{}", "<xml><ToUserName>ww1436e0e65a779aee</ToUserName></xml>"],
)
def test_malformed_inner_xml_is_400(client, vectors, inbox, plaintext):
    query, body = app_request(vectors, plaintext)
    assert_rejected(client.post("/wecom/callback", query_string=query, data=body), 400, inbox)


# --- AI bot -----------------------------------------------------------------------------------


def test_aibot_vector_e_is_a_group_message(client_at, vectors, inbox, urls):
    v = vectors["aibot_json"]
    client = client_at(v["timestamp"])
    query = {"msg_signature": v["msg_signature"], "timestamp": v["timestamp"], "nonce": v["nonce"]}
    response = client.post("/wecom/aibot", query_string=query, json=v["body"])
    assert response.status_code == 200 and response.data == b""
    [(delivery_id, message)] = inbox.accepted
    assert delivery_id == "aibot:m1"
    assert message.text == "天气" and message.is_group is True and message.addressed is True
    assert (message.chat_id, message.user_id, message.message_id) == ("chat1", "zhangsan", "m1")
    assert urls.find("chat1", "m1") == ("m1", "RESPONSEURL")


def test_aibot_single_chat_and_mixed_text(client, vectors, inbox, urls):
    payload = {
        "msgid": "m2",
        "chattype": "single",
        "from": {"userid": "lisi"},
        "response_url": "https://example.invalid/r2",
        "msgtype": "mixed",
        "mixed": {
            "msg_item": [
                {"msgtype": "text", "text": {"content": "@MyBot\u2005查 SF1524097970481"}},
                {"msgtype": "image", "image": {"url": "https://example.invalid/i.png"}},
            ]
        },
    }
    query, body = aibot_request(vectors, payload)
    assert client.post("/wecom/aibot", query_string=query, json=body).status_code == 200
    [(_, message)] = inbox.accepted
    assert (message.chat_id, message.is_group, message.text) == (
        "aibot:lisi",
        False,
        "查 SF1524097970481",
    )
    assert urls.find("aibot:lisi", None) == ("m2", "https://example.invalid/r2")


def test_aibot_url_verification(client, vectors):
    key = crypto_for(vectors, "").key
    echostr = PrpCrypto(key).encrypt("5927461827364", "").decode()
    response = client.get(
        "/wecom/aibot", query_string={**signed(vectors, echostr), "echostr": echostr}
    )
    assert response.status_code == 200 and response.data == b"5927461827364"


def test_aibot_events_are_ignored(client, vectors, inbox):
    payload = {"msgid": "e1", "from": {"userid": "lisi"}, "msgtype": "event",
               "event": {"eventtype": "enter_chat"}}  # fmt: skip
    query, body = aibot_request(vectors, payload)
    assert client.post("/wecom/aibot", query_string=query, json=body).status_code == 200
    assert inbox.calls == 0


def test_aibot_forged_and_foreign_payloads_are_rejected(client, client_at, vectors, inbox):
    v = vectors["aibot_json"]
    query = {"msg_signature": "f" * 40, "timestamp": v["timestamp"], "nonce": v["nonce"]}
    vector_time = client_at(v["timestamp"])
    response = vector_time.post("/wecom/aibot", query_string=query, json=v["body"])
    assert_rejected(response, 403, inbox)
    payload = json.loads(json.dumps(vectors["aibot_json"]["expected_plaintext"]))
    query, body = aibot_request(vectors, payload, receive_id="ww1436e0e65a779aee")
    assert_rejected(client.post("/wecom/aibot", query_string=query, json=body), 403, inbox)


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"encrypt": 5}', b'{"other": "x"}'])
def test_aibot_malformed_json_body_is_400(client, vectors, inbox, body):
    response = client.post("/wecom/aibot", query_string=signed(vectors, "x"), data=body)
    assert_rejected(response, 400, inbox)


@pytest.mark.parametrize(
    "payload",
    [
        {"msgtype": "text", "text": {"content": "hi"}},  # no msgid, sender or response_url
        {"msgid": "m9", "from": {"userid": "u"}, "msgtype": "text", "text": {}},
        {
            "msgid": "m9",
            "chattype": "group",
            "from": {"userid": "u"},
            "response_url": "u",
            "msgtype": "text",
            "text": {"content": "@b hi"},
        },  # group without chatid
    ],  # fmt: skip
)
def test_aibot_malformed_plaintext_is_400(client, vectors, inbox, urls, payload):
    query, body = aibot_request(vectors, payload)
    assert_rejected(client.post("/wecom/aibot", query_string=query, json=body), 400, inbox)


def test_unconfigured_side_answers_404(vectors, tokens, urls, inbox):
    from flask import Flask

    from adapters.wecom import WeComAdapter

    settings = make_settings(vectors, wecom_aibot_token=None, wecom_aibot_encoding_aes_key=None)
    app = Flask(__name__)
    app.register_blueprint(WeComAdapter(settings, tokens, urls).blueprint(inbox))
    response = app.test_client().post("/wecom/aibot", json={"encrypt": "x"})
    assert_rejected(response, 404, inbox)


@pytest.mark.parametrize(
    "query",
    [
        {"msg_signature": "not-a-sha1", "timestamp": "1409659813", "nonce": "1372623149"},
        {"msg_signature": "a" * 40, "timestamp": "yesterday", "nonce": "1372623149"},
        {"msg_signature": "a" * 40, "timestamp": "1409659813", "nonce": "n" * 200},
        {"msg_signature": "a" * 40, "timestamp": "1409659813"},
    ],
)
@pytest.mark.parametrize("path", ["/wecom/callback", "/wecom/aibot"])
def test_a_malformed_query_is_refused_before_the_body_is_read(client, inbox, query, path):
    body = UnreadBody()
    response = client.post(path, query_string=query, environ_overrides=body.environ())
    assert response.status_code == 400
    assert body.reads == 0 and inbox.accepted == []


def test_a_well_formed_query_needs_the_body_to_be_judged(client, inbox):
    body = UnreadBody(b"<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>")
    fresh = str(int(time.time()))  # a stale timestamp is refused on the query alone
    query = {"msg_signature": "a" * 40, "timestamp": fresh, "nonce": "1372623149"}
    response = client.post("/wecom/callback", query_string=query, environ_overrides=body.environ())
    assert response.status_code in (400, 403)  # judged on the body: forged
    assert body.reads > 0 and inbox.accepted == []
