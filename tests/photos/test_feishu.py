"""Feishu pictures end to end: an `image` message and the pictures inside a rich text (`post`),
through the encrypted, signed webhook, the worker, the message resource API of the fake Feishu
(with the tenant token) and the fake upstream."""

from __future__ import annotations

import json

from tests.door.stack import FEISHU, feishu
from tests.photos.images import barcode_image

YT = "YT1234567890123"
ZT = "78627000000758"


def picture_event(message_id: str, content: dict, *, message_type: str, group: bool) -> dict:
    """An `im.message.receive_v1` event carrying `content` (an image or a rich text)."""
    payload = json.loads(json.dumps(FEISHU["event"]["plaintext"]))
    payload["header"]["event_id"] = f"ev-{message_id}"
    message = payload["event"]["message"]
    message.update(
        message_id=message_id,
        message_type=message_type,
        chat_type="group" if group else "p2p",
        content=json.dumps(content, ensure_ascii=False),
    )
    if not group:
        message["mentions"] = []
    return payload


def answers(stack, clock) -> list[dict]:
    """Work and send everything; the bodies of the replies the fake Feishu received."""
    stack.work_off()
    while stack.app.runtime.send_pending():
        clock.advance(5)
    assert stack.unfinished_or_failed() == []
    calls = stack.feishu_api.calls("POST", r"/open-apis/im/v1/messages(/[^/]+/reply)?")
    return [c["json"] for c in calls]


def test_an_image_message_is_read_through_the_resource_api(clock, stack, upstream):
    stack.feishu_api.files.put("img_v3_key1", barcode_image(YT), "image/png")
    event = picture_event("om_p1", {"image_key": "img_v3_key1"}, message_type="image", group=False)

    response = feishu("/feishu/events", event).send(stack.client)

    assert response.status_code == 200
    assert stack.feishu_api.files.requests == []
    found, card = answers(stack, clock)
    assert json.loads(found["content"]) == {"text": f"📷 图片里识别到：{YT}（条码）"}
    assert YT in card["content"]
    [get] = stack.feishu_api.calls("GET", r"/open-apis/im/v1/messages/.*")
    assert get["path"] == "/open-apis/im/v1/messages/om_p1/resources/img_v3_key1"
    assert get["headers"]["authorization"].startswith("Bearer t-")
    assert [r.query["kddh"] for r in upstream.requests] == [YT]


def test_a_rich_text_with_a_mention_reads_its_picture_and_its_text(clock, stack, upstream):
    stack.feishu_api.files.put("img_v3_key2", barcode_image(YT), "image/jpeg")
    post = {
        "title": "",
        "content": [
            [{"tag": "at", "user_id": "@_user_1"}, {"tag": "text", "text": f" 查一下 {ZT}"}],
            [{"tag": "img", "image_key": "img_v3_key2"}],
        ],
    }
    event = picture_event("om_p2", post, message_type="post", group=True)

    feishu("/feishu/events", event).send(stack.client)

    found = answers(stack, clock)[0]
    assert f"📷 图片里识别到：{YT}（条码）" in found["content"]
    assert sorted(r.query["kddh"] for r in upstream.requests) == sorted([YT, ZT])


def test_a_group_picture_not_aimed_at_the_bot_is_not_downloaded(clock, stack):
    stack.feishu_api.files.put("img_v3_key3", barcode_image(YT))
    event = picture_event("om_p3", {"image_key": "img_v3_key3"}, message_type="image", group=True)
    event["event"]["message"]["mentions"] = []

    feishu("/feishu/events", event).send(stack.client)

    assert answers(stack, clock) == []
    assert stack.feishu_api.files.requests == []


def test_an_unknown_image_key_gets_a_clear_line(clock, stack):
    event = picture_event("om_p4", {"image_key": "img_gone"}, message_type="image", group=False)

    feishu("/feishu/events", event).send(stack.client)

    [line] = answers(stack, clock)
    assert "取不到这张图片" in json.loads(line["content"])["text"]
