"""Recorded Feishu events (tests/data/feishu/recorded/) through the whole bot: encrypted with
the Encrypt Key and signed like Feishu, posted to the real routes, worked by the runtime; what
the bot did is checked at the fake Feishu API."""

from __future__ import annotations

import json

from tests.photos.images import barcode_image
from tests.recorded.harness import recorded

YT = "YT1234567890123"
CHAT = "oc_5ce6d572455d361153b7xx51da133945"


def load(name: str) -> dict:
    return recorded("feishu", name)


def sends(stack) -> list[dict]:
    """Every message the bot sent or replied (method POST under im/v1/messages)."""
    return stack.feishu_api.calls("POST", r"/open-apis/im/v1/messages(/[^/]+/reply)?")


def answered(stack, name: str) -> list[dict]:
    assert stack.feishu(load(name)).status_code == 200
    assert stack.work() == 1
    return sends(stack)


def test_url_verification_answers_the_challenge(stack):
    response = stack.feishu(load("url_verification.json"))

    assert (response.status_code, response.get_json()) == (200, {"challenge": "ajls384kdjx98XX"})


def test_group_mention_is_answered_on_the_askers_message(stack):
    [call] = answered(stack, "text_group_mention.json")

    assert call["path"].endswith("/om_5ce6d572455d361153b7cb51da133941/reply")
    assert YT in call["json"]["content"] and "reply_in_thread" not in call["json"]


def test_a_question_in_a_thread_is_answered_in_the_thread(stack):
    [call] = answered(stack, "text_thread.json")

    assert call["path"].endswith("/om_5ce6d572455d361153b7cb51da133947/reply")
    assert call["json"]["reply_in_thread"] is True and YT in call["json"]["content"]
    [(payload,)] = stack.inbox_payloads()
    assert json.loads(payload)["thread_id"] == "omt_d4be107c616"


def test_two_mentions_address_the_bot_and_keep_the_other_name(stack):
    [call] = answered(stack, "text_two_mentions.json")

    assert YT in call["json"]["content"]
    [(payload,)] = stack.inbox_payloads()
    assert json.loads(payload)["text"] == f"@Tom 你的快递 {YT}"


def test_private_chat_is_answered_in_the_chat(stack):
    [call] = answered(stack, "text_p2p.json")

    assert call["query"]["receive_id_type"] == ["chat_id"] and call["json"]["receive_id"] == CHAT
    assert YT in call["json"]["content"]


def test_post_with_a_picture_is_read_and_keeps_the_image(stack):
    [call] = answered(stack, "post_image_text.json")

    assert YT in call["json"]["content"]
    [(payload,)] = stack.inbox_payloads()
    message = json.loads(payload)
    assert message["attachments"] == [
        {"kind": "image", "ref": "img_v2_041b28e3-5680-48c2-9af2-497ace79333g"}
    ]
    assert message["text"] == f"我的订单\n帮我看看这个\n单号 {YT}"


def test_another_apps_message_is_left_alone(stack):
    assert stack.feishu(load("sender_app.json")).status_code == 200

    assert stack.work() == 0 and sends(stack) == []


def test_a_bare_picture_is_fetched_from_the_message_resources_and_read(stack):
    stack.feishu_api.files.put("img_v2_041b28e3-5680-48c2-9af2-497ace79333g", barcode_image(YT))

    [found, card] = answered(stack, "image.json")

    assert json.loads(found["json"]["content"]) == {"text": f"📷 图片里识别到：{YT}（条码）"}
    assert YT in card["json"]["content"]


def test_card_button_press_refreshes_the_card(stack):
    response = stack.feishu(load("card_action.json"), "/feishu/card")

    assert response.status_code == 200
    assert stack.work() == 1
    shown = stack.feishu_api.calls("PATCH", r"/open-apis/im/v1/messages/.+") + sends(stack)
    assert shown and YT in shown[0]["json"]["content"]
