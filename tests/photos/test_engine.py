"""The engine's picture path on the real core (SQLite, fake upstream): what is read, when,
and how the answer reads; the pictures come from an in-memory `AttachmentSource`."""

from __future__ import annotations

import pytest

from adapters.assembly import build_core
from bot.models import Attachment, Incoming
from bot.runtime.ports import AttachmentError
from bot.vision import VisionBusy
from tests.photos.images import barcode_image, blank_image
from tests.support.chat import SF, Chat, sf_needs_tail

YT = "YT1234567890123"


class Pictures:
    """An `AttachmentSource` over a dict; records what was fetched."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.fetched: list[str] = []

    def fetch_attachment(self, message: Incoming, attachment: Attachment) -> bytes:
        self.fetched.append(attachment.ref)
        if attachment.ref == "boom":
            raise RuntimeError("adapter bug")
        if attachment.ref not in self.files:
            raise AttachmentError("not_found")
        return self.files[attachment.ref]


@pytest.fixture
def pictures() -> Pictures:
    return Pictures({"yt": barcode_image(YT), "sf": barcode_image(SF), "blank": blank_image()})


@pytest.fixture
def core(upstream, sqlite_url, clock, tmp_path, pictures):
    upstream.set_handler(SF, sf_needs_tail)
    settings = upstream.settings(database_url=sqlite_url, data_dir=tmp_path, kuaidi_retries=1)
    built = build_core(settings, clock=clock, subscriptions=False)
    built.attachment_sources["test"] = pictures
    yield built
    built.close()


def photo(*refs: str, kind: str = "photo") -> dict:
    return {"attachments": tuple(Attachment(kind, ref) for ref in refs)}


def test_a_caption_phone_tail_answers_the_photos_sf_number(core, upstream):
    replies = Chat(core.engine).say("尾号1234", **photo("sf"))

    assert replies[0].text == f"📷 图片里识别到：{SF}（条码）"
    assert replies[1].card is not None and replies[1].card.number == SF
    assert upstream.requests_for(SF)[-1].query["tel"] == "1234"


def test_the_tail_question_then_a_typed_tail(core):
    chat = Chat(core.engine)
    asked = chat.say("", **photo("sf"))
    assert "后4位" in asked[1].text

    answered = chat.say("1234")

    assert answered[0].card is not None and answered[0].card.number == SF


def test_several_pictures_are_read_and_numbers_deduplicated(core, pictures):
    replies = Chat(core.engine).say(f"还有 {YT}", **photo("yt", "sf", "yt"))

    assert replies[0].text == f"📷 图片里识别到：{YT}（条码）、{SF}（条码）"
    assert pictures.fetched == ["yt", "sf", "yt"]


def test_at_most_four_pictures_are_read(core, pictures):
    Chat(core.engine).say("", **photo(*["blank"] * 6))

    assert len(pictures.fetched) == 4


def test_english(core):
    chat = Chat(core.engine, language="en")

    assert chat.say("", **photo("yt"))[0].text == f"📷 Read from the picture: {YT} (barcode)"
    assert "no waybill number in the picture" in chat.say("", **photo("blank"))[0].text


def test_documents_are_not_pictures(core, pictures):
    assert Chat(core.engine).say("", **photo("yt", kind="document")) == []
    assert pictures.fetched == []


def test_a_command_caption_is_the_command(core, pictures):
    replies = Chat(core.engine).say("/help", **photo("yt"))

    assert pictures.fetched == [] and "/track" in replies[0].text


def test_nothing_in_the_picture_and_words_in_the_caption(core):
    replies = Chat(core.engine).say("你好", **photo("blank"))

    assert "没有在图片里找到快递单号" in replies[0].text
    assert all("没有在消息里找到快递单号" not in r.text for r in replies)


def test_an_adapter_that_raises_is_a_friendly_line(core):
    [reply] = Chat(core.engine).say("", **photo("boom"))

    assert "取不到这张图片" in reply.text


def test_groups_read_pictures_when_addressed_or_in_auto_mode(core, pictures):
    group = Chat(core.engine, chat_id="g1", is_group=True)
    assert group.say("", addressed=False, **photo("yt")) == []
    assert pictures.fetched == []

    assert group.say("", addressed=True, **photo("yt"))[0].text.startswith("📷")

    core.store.set_auto_mode("test", "g1", True)
    assert group.say("", addressed=False, **photo("yt"))[0].text.startswith("📷")
    assert group.say("", addressed=False, **photo("blank")) == []  # auto mode stays quiet


def test_a_full_vision_pool_asks_to_send_again(upstream, sqlite_url, clock, tmp_path, pictures):
    def busy(data: bytes):
        raise VisionBusy("every slot taken")

    settings = upstream.settings(database_url=sqlite_url, data_dir=tmp_path)
    core = build_core(settings, clock=clock, subscriptions=False, scanner=busy)
    core.attachment_sources["test"] = pictures
    try:
        [reply] = Chat(core.engine).say("", **photo("yt"))
    finally:
        core.close()

    assert "图片太多" in reply.text
