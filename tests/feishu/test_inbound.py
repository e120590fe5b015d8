"""The webhook: vectors posted to a real Flask app, forged and malformed requests, dedup."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from adapters.feishu.inbound import WebhookSecrets, make_blueprint
from adapters.feishu.parse import parse_message
from bot.models import Incoming
from tests.fakes.platform import UnreadBody
from tests.feishu.support import (
    VECTORS,
    RecordingInbox,
    card_action_event,
    mention,
    message_event,
    signed_headers,
    signed_request,
)

EVENT = VECTORS["event"]
TRUNCATED = json.dumps({"encrypt": json.loads(EVENT["raw_body"])["encrypt"][:-10]}).encode()


def post_vector(client, path="/feishu/events"):
    """The vector's body, signed now (its own headers are from 2020: a replay, refused)."""
    body = EVENT["raw_body"].encode()
    return client.post(path, data=body, headers=signed_headers(body))


def test_vector_event_is_accepted_as_a_group_message_to_the_bot(client, inbox):
    response = post_vector(client)
    assert response.status_code == 200
    assert inbox.accepted == [
        (
            "om_msg1",
            Incoming(
                platform="feishu",
                chat_id="oc_chat1",
                user_id="ou_sender",
                message_id="om_msg1",
                text="/sub 天气",
                is_group=True,
                addressed=True,
            ),
        )
    ]


def test_encrypted_url_verification_answers_the_challenge(client, inbox):
    body = VECTORS["url_verification"]["raw_body"].encode()
    for path in ("/feishu/events", "/feishu/card"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 200
        assert response.get_json() == VECTORS["url_verification"]["expected_response"]
    assert inbox.calls == 0


def test_plain_url_verification_without_encrypt_key():
    app = Flask(__name__)
    secrets = WebhookSecrets(verification_token="test-verification-token")
    app.register_blueprint(make_blueprint(RecordingInbox(), secrets, lambda: "ou_bot"))
    plaintext = VECTORS["url_verification"]["plaintext"]
    response = app.test_client().post("/feishu/events", json=plaintext)
    assert response.get_json() == {"challenge": "ajls384kdjx98XX"}
    forged = {**plaintext, "token": "guess"}
    assert app.test_client().post("/feishu/events", json=forged).status_code == 403


def test_plaintext_events_verified_by_token_when_encryption_is_off():
    app = Flask(__name__)
    inbox = RecordingInbox()
    secrets = WebhookSecrets(verification_token="test-verification-token")
    app.register_blueprint(make_blueprint(inbox, secrets, lambda: "ou_bot"))
    client = app.test_client()
    assert client.post("/feishu/events", json=message_event()).status_code == 200
    assert client.post("/feishu/events", json=message_event(token="nope")).status_code == 403
    assert [m.text for m in inbox.messages] == ["/sub 天气"]


def zero_signature(headers):
    return {**headers, "X-Lark-Signature": "0" * 64}


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (EVENT["raw_body"].encode(), zero_signature(EVENT["headers"]), 403),
        (EVENT["raw_body"].encode(), {}, 403),  # no signature headers at all
        (EVENT["raw_body"].encode() + b" ", EVENT["headers"], 403),  # body changed after signing
        (EVENT["raw_body"].encode(), EVENT["headers"], 403),  # signed in 2020: a replay
        (b"{not json", {}, 400),
        (b"[1, 2]", {}, 400),
        (TRUNCATED, {}, 400),
        (json.dumps({"encrypt": 42}).encode(), {}, 400),
        (json.dumps(message_event()).encode(), {}, 400),  # plaintext while a key is set
    ],
    ids=["bad-signature", "no-signature", "tampered", "stale", "bad-json", "not-object",
         "truncated", "encrypt-not-str", "unencrypted"],
)  # fmt: skip
def test_forged_or_malformed_requests_are_rejected(client, inbox, body, headers, status):
    response = client.post("/feishu/events", data=body, headers=headers)
    assert response.status_code == status
    assert "error" in response.get_json()
    assert inbox.calls == 0


def test_wrong_verification_token_is_rejected_even_when_signed(client, inbox):
    body, headers = signed_request(message_event(token="someone-elses-token"))
    assert client.post("/feishu/events", data=body, headers=headers).status_code == 403
    assert inbox.calls == 0


def test_redelivery_with_new_event_id_is_accepted_once(client, inbox):
    assert post_vector(client).status_code == 200
    assert post_vector(client).status_code == 200  # exact replay
    body, headers = signed_request(message_event(event_id="ev-retry-2"))  # same message_id
    assert client.post("/feishu/events", data=body, headers=headers).status_code == 200
    assert inbox.calls == 3
    assert [d for d, _ in inbox.accepted] == ["om_msg1"]


@pytest.mark.parametrize(
    "payload",
    [
        message_event(message_type="image"),
        {**message_event(), "header": {**message_event()["header"], "event_type": "im.chat.x"}},
        message_event(text="hi") | {"event": {"message": {"message_type": "text"}}},
    ],
    ids=["image", "unknown-type", "malformed-event"],
)
def test_ignored_events_answer_200_without_accepting(client, inbox, payload):
    body, headers = signed_request(payload)
    assert client.post("/feishu/events", data=body, headers=headers).status_code == 200
    assert inbox.calls == 0


def send(client, payload):
    body, headers = signed_request(payload)
    assert client.post("/feishu/events", data=body, headers=headers).status_code == 200


def test_other_users_mentions_become_names(client, inbox):
    mentions = [mention("@_user_1", "ou_bot", "MyBot"), mention("@_user_2", "ou_amy", "Amy")]
    send(client, message_event(text="@_user_1 ask @_user_2  about SF123", mentions=mentions))
    message = inbox.messages[0]
    assert (message.text, message.addressed) == ("ask @Amy about SF123", True)


def test_group_message_mentioning_someone_else_is_not_addressed(client, inbox):
    mentions = [mention("@_user_1", "ou_amy", "Amy")]
    send(client, message_event(text="@_user_1 看看 SF123", mentions=mentions))
    message = inbox.messages[0]
    assert (message.text, message.is_group, message.addressed) == ("@Amy 看看 SF123", True, False)


def test_lone_surrogates_in_text_are_replaced(client, inbox):
    send(client, message_event(text="@_user_1 SF1 \ud800"))
    assert inbox.messages[0].text == "SF1 \ufffd"


def test_private_message_is_addressed(client, inbox):
    send(client, message_event(text="SF1524097970481", chat_type="p2p", mentions=[]))
    message = inbox.messages[0]
    assert (message.is_group, message.addressed, message.chat_id) == (False, True, "oc_chat1")


def post_event(content: dict, mentions: list[dict] | None = None, chat_type="group") -> dict:
    payload = message_event(message_type="post", mentions=mentions, chat_type=chat_type)
    payload["event"]["message"]["content"] = json.dumps(content, ensure_ascii=False)
    return payload


def test_a_pasted_rich_text_message_reads_as_lines(client, inbox):
    content = {
        "title": "订单已发货",
        "content": [
            [
                {"tag": "at", "user_id": "@_user_1", "user_name": "MyBot"},
                {"tag": "text", "text": "帮查"},
            ],
            [
                {"tag": "text", "text": "圆通 "},
                {"tag": "a", "href": "https://x", "text": "YT1234567890123"},
            ],
            [{"tag": "img", "image_key": "img_1"}],
            [
                {"tag": "text", "text": "京东"},
                {"tag": "emotion", "emoji_type": "OK"},
                {"tag": "text", "text": "JD0098765432101"},
            ],
        ],
    }
    send(client, post_event(content, mentions=[mention("@_user_1", "ou_bot", "MyBot")]))
    message = inbox.messages[0]
    assert message.text == "订单已发货\n帮查\n圆通 YT1234567890123\n京东 JD0098765432101"
    assert message.addressed


def test_a_rich_text_message_wrapped_in_a_language_and_without_the_bot(client, inbox):
    content = {"zh_cn": {"title": "", "content": [[{"tag": "text", "text": "SF1524097970481"}]]}}
    send(client, post_event(content, mentions=[], chat_type="group"))
    message = inbox.messages[0]
    assert (message.text, message.addressed) == ("SF1524097970481", False)


def test_a_titled_rich_text_mentioning_the_bot_before_its_identity_is_known():
    content = {
        "title": "转发",
        "content": [
            [{"tag": "at", "user_id": "@_user_1"}, {"tag": "text", "text": " 查 SF1524097970481"}]
        ],
    }
    event = post_event(content, mentions=[mention("@_user_1", "ou_bot", "MyBot")])["event"]
    parsed = parse_message(event, bot_open_id=None)
    assert (parsed.message.text, parsed.message.addressed) == ("转发\n查 SF1524097970481", True)


@pytest.mark.parametrize("content", [["not", "an object"], {"title": "x"}, {"zh_cn": "x"}])
def test_malformed_rich_text_is_dropped_without_a_row(client, inbox, content):
    # Answered 200 like every malformed event: a retry would carry the same content.
    body, headers = signed_request(post_event(content))
    assert client.post("/feishu/events", data=body, headers=headers).status_code == 200
    assert inbox.calls == 0


def test_card_press_reaches_the_core_as_an_action(client, inbox):
    body, headers = signed_request(card_action_event("refresh:SF1524097970481"))
    response = client.post("/feishu/card", data=body, headers=headers)
    assert (response.status_code, response.get_json()) == (200, {})
    assert inbox.accepted == [
        (
            "card:ev-card-1",
            Incoming(
                platform="feishu",
                chat_id="oc_chat1",
                user_id="ou_presser",
                message_id="om_card1",
                text="",
                is_group=True,
                addressed=True,
                action="refresh:SF1524097970481",
                callback_id="ev-card-1",
            ),
        )
    ]


def test_card_press_with_bad_signature_or_foreign_value(client, inbox):
    body, headers = signed_request(card_action_event("sub:1"))
    forged = client.post("/feishu/card", data=body, headers=zero_signature(headers))
    assert forged.status_code == 403
    body, headers = signed_request(card_action_event(None))
    assert client.post("/feishu/card", data=body, headers=headers).get_json() == {}
    assert inbox.calls == 0


def test_bot_identity_fetched_once_at_blueprint_creation(client, fake_api):
    post_vector(client)
    post_vector(client)
    assert len(fake_api.calls("GET", "/open-apis/bot/v3/info")) == 1


WELL_FORMED = {
    "X-Lark-Request-Timestamp": "1700000000",
    "X-Lark-Request-Nonce": "1628743913",
    "X-Lark-Signature": "a" * 64,
}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Lark-Request-Timestamp": "1700000000"},
        {**WELL_FORMED, "X-Lark-Request-Timestamp": "soon"},
        {**WELL_FORMED, "X-Lark-Signature": "not a sha256 digest"},
        {**WELL_FORMED, "X-Lark-Request-Nonce": "n" * 200},
    ],
)
@pytest.mark.parametrize("path", ["/feishu/events", "/feishu/card"])
def test_malformed_signature_headers_are_refused_before_the_body_is_read(
    client, inbox, headers, path
):
    body = UnreadBody()
    response = client.post(path, headers=headers, environ_overrides=body.environ())
    assert response.status_code == 403
    assert body.reads == 0 and inbox.accepted == []


def test_well_formed_signature_headers_need_the_body_to_be_judged(client, inbox):
    body = UnreadBody()
    response = client.post("/feishu/events", headers=WELL_FORMED, environ_overrides=body.environ())
    assert response.status_code in (400, 403)  # judged on the body: not Feishu's
    assert body.reads > 0 and inbox.accepted == []
