"""WeCom pictures end to end: the self-built app's `image` (MediaId → media/get with the access
token) and the AI bot's pictures (download URL → decrypt with the bot's EncodingAESKey),
through signed, encrypted callbacks, the worker, the fake WeCom API and the fake upstream."""

from __future__ import annotations

import json

from tests.door.stack import AIBOT_AES_KEY, CORP_ID, now, wecom_aibot_post, wecom_app_post
from tests.photos.images import PDF, barcode_image, blank_image
from tests.wecom.support import aibot_encrypt

YT = "YT1234567890123"


def app_image(media_id: str, msg_id: str = "7001", user: str = "zhangsan") -> str:
    """The decrypted XML of a picture sent to the self-built app."""
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{now()}</CreateTime>"
        "<MsgType><![CDATA[image]]></MsgType>"
        "<PicUrl><![CDATA[https://wework.qpic.cn/wwpic/1/0]]></PicUrl>"
        f"<MediaId><![CDATA[{media_id}]]></MediaId><MsgId>{msg_id}</MsgId>"
        "<AgentID>1000002</AgentID></xml>"
    )


def aibot_picture(api, key: str, msgid: str, *, group: bool = False, text: str = "") -> dict:
    """An AI-bot callback carrying one picture (`image`, or `mixed` with `text`)."""
    payload = {
        "msgid": msgid, "aibotid": "bot1", "from": {"userid": "lisi"},
        "chattype": "group" if group else "single", "response_url": api.response_url(msgid),
    }  # fmt: skip
    if group:
        payload["chatid"] = "chat9"
    if text:
        items = [
            {"msgtype": "text", "text": {"content": text}},
            {"msgtype": "image", "image": {"url": api.aibot_url(key)}},
        ]
        payload.update(msgtype="mixed", mixed={"msg_item": items})
    else:
        payload.update(msgtype="image", image={"url": api.aibot_url(key)})
    return payload


def app_answers(stack, clock) -> list[str]:
    """Work and send everything; what message/send carried."""
    stack.work_off()
    while stack.app.runtime.send_pending():
        clock.advance(5)
    assert stack.unfinished_or_failed() == []
    sent = stack.wecom_api.sent("/cgi-bin/message/send")
    return [_content(r.body) for r in sent]


def aibot_answers(stack) -> list[str]:
    stack.work_off()
    stack.send_off()
    assert stack.unfinished_or_failed() == []
    return [_content(r.body) for r in stack.wecom_api.sent("/cgi-bin/aibot/response")]


def _content(body: dict) -> str:
    kind = body["msgtype"]
    return body[kind]["content"] if kind in ("markdown", "text") else json.dumps(body[kind])


def test_an_app_picture_is_fetched_with_media_get_and_tracked(clock, stack, upstream):
    stack.wecom_api.files.put("MEDIA-1", barcode_image(YT), "image/jpeg")

    response = wecom_app_post(app_image("MEDIA-1")).send(stack.client)

    assert response.status_code == 200
    assert stack.wecom_api.files.requests == []
    found, card = app_answers(stack, clock)
    assert found == f"📷 图片里识别到：{YT}（条码）"
    assert YT in card
    [get] = stack.wecom_api.sent("/cgi-bin/media/get")
    assert get.query["media_id"] == "MEDIA-1" and get.query["access_token"].startswith("TOKEN-")
    assert [r.query["kddh"] for r in upstream.requests] == [YT]


def test_an_expired_token_is_refreshed_once_for_media_get(clock, stack):
    stack.wecom_api.files.put("MEDIA-2", barcode_image(YT), "image/jpeg")
    wecom_app_post(app_image("MEDIA-1", "7002")).send(stack.client)  # warms the token
    stack.wecom_api.files.put("MEDIA-1", blank_image())
    app_answers(stack, clock)
    stale = stack.wecom_api.sent("/cgi-bin/media/get")[0].query["access_token"]
    stack.wecom_api.expire(stale)

    wecom_app_post(app_image("MEDIA-2", "7003")).send(stack.client)

    assert f"📷 图片里识别到：{YT}（条码）" in app_answers(stack, clock)
    tokens = [r.query["access_token"] for r in stack.wecom_api.sent("/cgi-bin/media/get")]
    assert tokens[1:] == [stale, "TOKEN-2"]


def test_app_failures_get_a_clear_line(clock, stack):
    stack.wecom_api.files.put("PDF", PDF, "application/pdf")
    wecom_app_post(app_image("GONE", "7101", "u1")).send(stack.client)
    wecom_app_post(app_image("PDF", "7102", "u2")).send(stack.client)

    gone, pdf = app_answers(stack, clock)

    assert "过期或被删除" in gone
    assert "不是图片" in pdf


def test_an_aibot_picture_is_downloaded_decrypted_and_tracked(stack):
    stack.wecom_api.aibot_files.put("k1", aibot_encrypt(barcode_image(YT), AIBOT_AES_KEY))

    response = wecom_aibot_post(aibot_picture(stack.wecom_api, "k1", "m1")).send(stack.client)

    assert response.status_code == 200
    [answer] = aibot_answers(stack)  # the AI bot answers once: the line and the card merge
    assert f"📷 图片里识别到：{YT}（条码）" in answer and "圆通" in answer
    assert stack.wecom_api.aibot_files.requests == ["k1"]


def test_a_group_mixed_message_reads_text_and_picture(stack, upstream):
    stack.wecom_api.aibot_files.put("k2", aibot_encrypt(barcode_image(YT), AIBOT_AES_KEY))
    payload = aibot_picture(stack.wecom_api, "k2", "m2", group=True, text="@MyBot 78627000000758")

    wecom_aibot_post(payload).send(stack.client)

    [answer] = aibot_answers(stack)
    assert f"📷 图片里识别到：{YT}（条码）" in answer
    assert sorted(r.query["kddh"] for r in upstream.requests) == ["78627000000758", YT]


def test_an_aibot_file_that_does_not_decrypt_gets_a_clear_line(stack):
    stack.wecom_api.aibot_files.put("plain", barcode_image(YT) * 3)  # not encrypted

    wecom_aibot_post(aibot_picture(stack.wecom_api, "plain", "m3")).send(stack.client)

    [answer] = aibot_answers(stack)
    assert "取不到这张图片" in answer
