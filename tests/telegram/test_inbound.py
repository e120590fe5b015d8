"""Inbound: the webhook route (secret, parse, de-dup) and group addressing rules."""

from __future__ import annotations

import pytest
from telegram import Update

from adapters.telegram.inbound import SECRET_HEADER, WEBHOOK_PATH, parse_update
from bot.models import Attachment, Incoming
from tests.telegram.updates import (
    ALICE,
    BOT_ID,
    GROUP_ID,
    callback_update,
    photo_update,
    text_update,
)


def post(client, update, secret):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return client.post(WEBHOOK_PATH, json=update, headers=headers)


def test_vector_update_is_parsed_and_accepted(client, inbox, vector):
    response = post(client, vector["update"], vector["secret_token"])

    assert response.status_code == 200
    assert inbox.accepted == [
        (
            "100000001",
            Incoming(
                platform="telegram",
                chat_id="-1001234567890",
                user_id="11111",
                message_id="42",
                text="/sub 天气 <b>",
                is_group=True,
                addressed=True,
                user_name="Alice",
                language="",  # no language_code: the engine reads the chat
            ),
        )
    ]


@pytest.mark.parametrize("secret", [None, "", "wrong", "s3cr3t_token-2", "s3cr3t_token-1 "])
def test_wrong_or_missing_secret_is_403_and_nothing_accepted(client, inbox, vector, secret):
    response = post(client, vector["update"], secret)

    assert response.status_code == 403
    assert inbox.calls == 0


def test_no_configured_secret_rejects_everything(adapter, inbox, vector, settings):
    from flask import Flask

    open_settings = settings.model_copy(update={"telegram_webhook_secret": None})
    adapter._settings = open_settings
    app = Flask(__name__)
    app.register_blueprint(adapter.blueprint(inbox))

    response = post(app.test_client(), vector["update"], "")

    assert response.status_code == 403
    assert inbox.calls == 0


def test_duplicate_update_id_is_accepted_once(client, inbox, vector):
    first = post(client, vector["update"], vector["secret_token"])
    second = post(client, vector["update"], vector["secret_token"])

    assert (first.status_code, second.status_code) == (200, 200)
    assert [delivery for delivery, _ in inbox.accepted] == ["100000001"]
    assert inbox.calls == 2  # the route hands both to the inbox, which de-duplicates


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}']
)
def test_malformed_body_is_400_and_nothing_accepted(client, inbox, vector, body):
    response = client.post(
        WEBHOOK_PATH,
        data=body,
        content_type="application/json",
        headers={SECRET_HEADER: vector["secret_token"]},
    )

    assert response.status_code == 400
    assert inbox.calls == 0


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 6, "my_chat_member": None},
        {
            "update_id": 7,
            "message": {
                "message_id": 1,
                "date": 1700000000,
                "chat": {"id": 555, "type": "private"},
                "from": ALICE,
                "location": {"latitude": 31.23, "longitude": 121.47},
            },
        },
    ],
    ids=["empty-type", "location"],
)
def test_other_updates_are_200_and_ignored(client, inbox, vector, update):
    response = post(client, update, vector["secret_token"])

    assert response.status_code == 200
    assert inbox.calls == 0


def test_a_photo_without_caption_is_kept_by_its_largest_size(client, inbox, vector):
    response = post(client, photo_update(8, "large-id"), vector["secret_token"])

    assert response.status_code == 200
    [message] = inbox.messages
    assert (message.text, message.attachments) == ("", (Attachment("photo", "large-id"),))


@pytest.mark.parametrize(
    ("mime", "kind"),
    [("image/jpeg", "image"), ("IMAGE/PNG", "image"), ("application/pdf", "document")],
)
def test_a_file_is_an_image_when_its_mime_type_says_so(client, inbox, vector, mime, kind):
    update = photo_update(9, "file-id", caption="看看", as_document=mime)
    post(client, update, vector["secret_token"])

    [message] = inbox.messages
    assert message.attachments == (Attachment(kind, "file-id"),)


def test_a_file_that_is_no_picture_and_has_no_caption_is_not_stored(client, inbox, vector):
    post(client, photo_update(10, "pdf", as_document="application/pdf"), vector["secret_token"])

    assert inbox.calls == 0


def test_callback_query_becomes_an_action(client, inbox, vector):
    response = post(
        client, callback_update(900, "refresh:SF1524097970481"), vector["secret_token"]
    )

    assert response.status_code == 200
    assert inbox.accepted == [
        (
            "900",
            Incoming(
                platform="telegram",
                chat_id="555",
                user_id="11111",
                message_id="77",
                text="",
                is_group=False,
                addressed=True,
                user_name="Alice",
                language="en",
                action="refresh:SF1524097970481",
                callback_id="cbq-900",
            ),
        )
    ]


def parse(update: dict, me) -> Incoming | None:
    parsed = parse_update(Update.de_json(update, None), me)
    return parsed[1] if parsed else None


@pytest.mark.parametrize(
    ("text", "entities", "expected_text", "addressed"),
    [
        ("/track SF1524097970481", None, "/track SF1524097970481", True),
        ("/track@my_test_bot SF1", None, "/track SF1", True),
        ("/track@My_Test_Bot SF1", None, "/track SF1", True),
        ("/track@other_bot SF1", None, "/track@other_bot SF1", False),
        ("@my_test_bot SF1", [{"type": "mention", "offset": 0, "length": 12}], "SF1", True),
        ("查 @my_test_bot  SF1 谢谢", None, "查 SF1 谢谢", True),
        ("😀 @MY_TEST_BOT hi", [{"type": "mention", "offset": 3, "length": 12}], "😀 hi", True),
        ("@my_test_botx hi", None, "@my_test_botx hi", False),
        ("mail me at a@my_test_bot", None, "mail me at a@my_test_bot", False),
        ("SF1524097970481", None, "SF1524097970481", False),
        ("/path/to nothing", [], "/path/to nothing", False),
    ],
)
def test_group_addressing(me, text, entities, expected_text, addressed):
    message = parse(text_update(1, text, entities=entities), me)

    assert message is not None
    assert (message.text, message.addressed, message.is_group) == (expected_text, addressed, True)


def test_reply_to_the_bot_is_addressed_but_reply_to_a_human_is_not(me):
    bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "T", "username": "my_test_bot"}
    to_bot = parse(text_update(1, "SF1", reply_to_from=bot_user), me)
    to_human = parse(text_update(2, "SF1", reply_to_from={**ALICE, "id": 22222}), me)

    assert to_bot is not None and to_bot.addressed
    assert to_human is not None and not to_human.addressed


def test_text_mention_of_the_bot_is_addressed_and_stripped(me):
    entity = {
        "type": "text_mention",
        "offset": 0,
        "length": 3,
        "user": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
    }
    message = parse(text_update(1, "Bot SF1", entities=[entity]), me)

    assert message is not None and (message.text, message.addressed) == ("SF1", True)


def test_private_chat_is_always_addressed(me):
    message = parse(text_update(1, "SF1524097970481", chat_id=555), me)

    assert message is not None
    assert (message.is_group, message.addressed, message.chat_id) == (False, True, "555")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start SF1524097970481", "/track SF1524097970481"),
        ("/start@my_test_bot YT2233", "/track YT2233"),
        ("/start", "/start"),
    ],
)
def test_start_deep_link_payload_becomes_track(me, text, expected):
    message = parse(text_update(1, text, chat_id=555), me)

    assert message is not None and message.text == expected


def test_language_and_bots(me):
    english = parse(text_update(1, "hi", chat_id=5, sender={**ALICE, "language_code": "en"}), me)
    chinese = parse(
        text_update(2, "hi", chat_id=5, sender={**ALICE, "language_code": "zh-hans"}), me
    )
    other_bot = parse(text_update(3, "hi", sender={**ALICE, "is_bot": True}), me)
    silent = {k: v for k, v in ALICE.items() if k != "language_code"}
    unknown = parse(text_update(4, "hi", chat_id=5, sender=silent), me)

    assert unknown is not None and unknown.language == ""  # not guessed as Chinese
    assert english is not None and english.language == "en"
    assert chinese is not None and chinese.language == "zh"
    assert other_bot is None


def test_group_chat_id_and_delivery_id(me):
    parsed = parse_update(Update.de_json(text_update(31337, "/help"), None), me)

    assert parsed is not None
    delivery_id, message = parsed
    assert (delivery_id, message.chat_id, message.message_id) == ("31337", str(GROUP_ID), "50")


def test_anonymous_group_admin_is_heard_but_other_bots_are_not(me):
    anonymous = {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    update = text_update(1, "/track SF1", sender=anonymous)
    update["message"]["sender_chat"] = {"id": GROUP_ID, "type": "supergroup", "title": "G"}

    message = parse(update, me)

    assert message is not None and (message.text, message.addressed) == ("/track SF1", True)


def test_unknown_identity_answers_503_and_accepts_nothing(adapter, fake_api, inbox, vector):
    from flask import Flask

    # getMe fails for the prefetch (when the routes are built) and for the retry that the
    # request starts: who "we" are is unknown, so the update is refused for re-delivery.
    fake_api.fail_next("getMe", 502, "Bad Gateway")
    fake_api.fail_next("getMe", 502, "Bad Gateway")
    app = Flask(__name__)
    app.register_blueprint(adapter.blueprint(inbox))
    response = post(app.test_client(), vector["update"], vector["secret_token"])
    assert response.status_code == 503
    assert inbox.calls == 0
    # once getMe answers again, a re-delivery of the update is accepted
    statuses = [post(app.test_client(), vector["update"], vector["secret_token"]).status_code]
    while statuses[-1] == 503 and len(statuses) < 3:
        statuses.append(
            post(app.test_client(), vector["update"], vector["secret_token"]).status_code
        )
    assert statuses[-1] == 200 and len(inbox.accepted) == 1
