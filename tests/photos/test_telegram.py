"""Telegram pictures end to end: signed webhook → inbox → worker → getFile and download from
the fake Bot API → scan → tracking from the fake upstream → the reply the fake Bot API got."""

from __future__ import annotations

from tests.door.stack import telegram
from tests.photos.images import PDF, barcode_image, blank_image, corrupt_image
from tests.telegram.updates import BOT_ID, photo_update

YT = "YT1234567890123"
ZT = "78627000000758"


def answers(stack, clock) -> list[str]:
    """Handle every stored row, send every reply; the texts the fake Bot API received."""
    stack.work_off()
    while stack.app.runtime.send_pending():
        clock.advance(5)  # past the per-chat send limit
    assert stack.unfinished_or_failed() == []
    return [call.params["text"] for call in stack.telegram_api.of("sendMessage")]


def test_a_label_photo_is_read_and_tracked(clock, stack, upstream):
    stack.telegram_api.files.put("big-photo", barcode_image(YT))

    response = telegram(photo_update(1, "big-photo")).send(stack.client)

    assert response.status_code == 200
    assert stack.telegram_api.files.requests == []  # nothing is downloaded in the request
    found, card = answers(stack, clock)
    assert found == f"📷 图片里识别到：{YT}（条码）"
    assert YT in card and "圆通" in card
    assert stack.telegram_api.files.requests == ["big-photo"]  # the largest size only
    assert [r.query["kddh"] for r in upstream.requests] == [YT]


def test_caption_numbers_and_photo_numbers_are_tracked_once_each(clock, stack, upstream):
    stack.telegram_api.files.put("p", barcode_image(YT))

    telegram(photo_update(2, "p", caption=f"这两个 {YT} {ZT}")).send(stack.client)

    texts = answers(stack, clock)
    assert texts[0] == f"📷 图片里识别到：{YT}（条码）"
    assert sorted(r.query["kddh"] for r in upstream.requests) == sorted([YT, ZT])


def test_an_image_sent_as_a_file_is_read(clock, stack):
    stack.telegram_api.files.put("doc", barcode_image(YT), "application/octet-stream")

    telegram(photo_update(3, "doc", as_document="image/png")).send(stack.client)

    assert answers(stack, clock)[0] == f"📷 图片里识别到：{YT}（条码）"


def test_a_pdf_document_is_not_downloaded(clock, stack):
    stack.telegram_api.files.put("pdf", PDF, "application/pdf")

    telegram(photo_update(4, "pdf", as_document="application/pdf")).send(stack.client)

    assert answers(stack, clock) == []
    assert stack.telegram_api.files.requests == []


def test_a_picture_without_a_number_gets_one_helpful_line(clock, stack):
    stack.telegram_api.files.put("blank", blank_image())

    telegram(photo_update(5, "blank")).send(stack.client)

    [line] = answers(stack, clock)
    assert "没有在图片里找到快递单号" in line and "直接发送单号" in line


def test_failures_get_a_clear_line_each(clock, stack):
    files = stack.telegram_api.files
    files.put("corrupt", corrupt_image())
    files.put("pdf-as-photo", PDF, "application/pdf")
    files.put("pdf-as-jpeg", PDF, "image/jpeg")
    files.endless("endless")
    files.hanging("hanging")
    cases = ["corrupt", "pdf-as-photo", "pdf-as-jpeg", "endless", "hanging", "gone"]
    for number, file_id in enumerate(cases, start=10):
        telegram(photo_update(number, file_id, chat_id=number)).send(stack.client)

    texts = answers(stack, clock)

    assert len(texts) == len(cases)
    expected = ["损坏", "不是图片", "不是图片", "太大", "超时", "过期或被删除"]
    for text, words in zip(texts, expected, strict=True):
        assert words in text
    assert files.sent_bytes["endless"] < 20_000_000  # the download stopped past the cap


def test_in_a_group_a_photo_is_read_only_when_addressed(clock, stack):
    stack.telegram_api.files.put("p", barcode_image(YT))
    group = -1001234567890
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "T", "username": "my_test_bot"}

    telegram(photo_update(20, "p", chat_id=group, message_id=60)).send(stack.client)
    assert answers(stack, clock) == []
    assert stack.telegram_api.files.requests == []

    telegram(photo_update(21, "p", chat_id=group, message_id=61, reply_to_from=bot)).send(
        stack.client
    )
    texts = answers(stack, clock)
    assert texts[0] == f"📷 图片里识别到：{YT}（条码）"

    telegram(photo_update(22, "p", chat_id=group, caption="@my_test_bot", message_id=62)).send(
        stack.client
    )
    assert len(answers(stack, clock)) == 4


def test_the_download_cap_is_kuaidi_vision_max_bytes(clock, upstream, sqlite_url, tmp_path):
    from tests.door.stack import running_stack
    from tests.photos.conftest import upstream_settings

    label = barcode_image(YT)
    cap = len(label) - 1
    settings = upstream_settings(upstream)
    with running_stack(
        sqlite_url, tmp_path, clock=clock, kuaidi_vision_max_bytes=cap, **settings
    ) as stack:
        stack.telegram_api.files.put("p", label)
        telegram(photo_update(30, "p")).send(stack.client)

        [line] = answers(stack, clock)

    assert "图片太大了" in line
    assert stack.telegram_api.files.requests == []  # getFile's file_size said it already
