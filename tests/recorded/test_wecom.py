"""Recorded WeCom callbacks (tests/data/wecom/recorded/) through the whole bot: encrypted and
signed with Tencent's sample corp and keys, posted to the real routes, worked by the runtime;
what the bot did is checked at the fake WeCom API (app `message/send`, AI-bot
`response_url`)."""

from __future__ import annotations

import json

import pytest

from tests.photos.images import barcode_image
from tests.recorded.harness import DATA, recorded
from tests.wecom.support import aibot_encrypt

YT = "YT1234567890123"
SEND = "/cgi-bin/message/send"
RESPONSE = "/cgi-bin/aibot/response"


def xml(name: str) -> str:
    return (DATA / "wecom/recorded" / name).read_text(encoding="utf-8")


def aibot(stack, name: str, code: str = "c1") -> dict:
    """A recorded AI-bot payload whose response_url points at the fake WeCom."""
    payload = recorded("wecom", name)
    if "response_url" in payload:
        payload["response_url"] = stack.wecom_api.response_url(code)
    return payload


def bodies(stack, path: str) -> list[str]:
    """What the bot sent to `path`, each body as JSON text."""
    return [json.dumps(r.body, ensure_ascii=False) for r in stack.wecom_api.sent(path)]


def test_app_text_is_answered_through_message_send(stack):
    assert stack.wecom_app(xml("app_text.xml")) == 200
    assert stack.work() == 1

    [body] = stack.wecom_api.sent(SEND)
    assert body.body["touser"] == "fromUser" and YT in json.dumps(body.body, ensure_ascii=False)


def test_app_location_is_left_alone(stack):
    assert stack.wecom_app(xml("app_location_event.xml")) == 200

    assert stack.work() == 0
    assert stack.wecom_api.sent(SEND) == []


def test_app_picture_is_fetched_by_its_media_id_and_read(stack):
    stack.wecom_api.files.put("media_id", barcode_image(YT))

    assert stack.wecom_app(xml("app_image.xml")) == 200
    assert stack.work() == 1

    sent = bodies(stack, SEND)
    assert f"📷 图片里识别到：{YT}（条码）" in sent[0] and YT in sent[1]


def test_first_follow_is_always_welcomed(stack):
    assert stack.wecom_app(xml("app_subscribe.xml")) == 200
    assert stack.wecom_app(xml("app_enter_agent.xml")) == 200  # 2014: another user and day

    assert stack.work() == 2
    assert [r.body["touser"] for r in stack.wecom_api.sent(SEND)] == ["UserID", "FromUser"]


def test_opening_the_app_again_the_same_day_gets_no_second_welcome(stack):
    later = xml("app_enter_agent.xml").replace("1408091189", "1408091199")

    assert stack.wecom_app(xml("app_enter_agent.xml")) == 200
    assert stack.wecom_app(later) == 200  # ten seconds later
    assert stack.work() == 1

    assert len(stack.wecom_api.sent(SEND)) == 1
    assert 'kuaidi_duplicates_total{platform="wecom"} 1' in stack.metrics()


def test_welcome_hours_zero_never_welcomes_on_opening(make_stack):
    stack = make_stack(wecom_welcome_hours=0)

    assert stack.wecom_app(xml("app_enter_agent.xml")) == 200

    assert stack.work() == 0 and stack.wecom_api.sent(SEND) == []


@pytest.mark.parametrize("name", ["aibot_text.json", "aibot_mixed.json", "aibot_voice.json"])
def test_aibot_text_mixed_and_voice_are_answered_once_through_response_url(stack, name):
    assert stack.wecom_aibot(aibot(stack, name)) == 200
    assert stack.work() == 1

    [body] = bodies(stack, RESPONSE)
    assert YT in body


def test_aibot_mixed_keeps_the_picture_as_an_attachment(stack):
    assert stack.wecom_aibot(aibot(stack, "aibot_mixed.json")) == 200

    [(payload,)] = stack.inbox_payloads()
    message = json.loads(payload)
    assert message["attachments"] == [
        {"kind": "image", "ref": "https://wework.qpic.cn/wwpic/IMAGE"}
    ]
    assert message["text"] == f"这是今日的单号 {YT}" and message["chat_id"] == "CHATID"


def test_aibot_voice_is_read_through_its_transcript(stack):
    assert stack.wecom_aibot(aibot(stack, "aibot_voice.json")) == 200

    [(payload,)] = stack.inbox_payloads()
    message = json.loads(payload)
    assert (message["chat_id"], message["text"]) == ("aibot:USERID", f"帮我查一下圆通 {YT}")


def test_aibot_picture_is_downloaded_decrypted_and_read(stack):
    payload = aibot(stack, "aibot_image.json")
    payload["image"]["url"] = stack.wecom_api.aibot_url("IMAGE")  # the fake, not wework.qpic.cn
    key = stack.app.settings.wecom_aibot_encoding_aes_key.get_secret_value()
    stack.wecom_api.aibot_files.put("IMAGE", aibot_encrypt(barcode_image(YT), key))

    assert stack.wecom_aibot(payload) == 200
    assert stack.work() == 1

    [answer] = bodies(stack, RESPONSE)
    assert f"📷 图片里识别到：{YT}（条码）" in answer


@pytest.mark.parametrize("name", ["aibot_stream_refresh.json", "aibot_enter_chat.json"])
def test_aibot_stream_refresh_and_enter_chat_are_left_alone(stack, name):
    assert stack.wecom_aibot(aibot(stack, name)) == 200

    assert stack.work() == 0
    assert stack.wecom_api.sent(RESPONSE) == []
