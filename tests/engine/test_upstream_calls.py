"""Which messages cost an upstream call, checked with a spy on the provider the engine uses
(the fake server counts paid requests; the spy also sees answers served from the cache)."""

from __future__ import annotations

from tests.support.chat import SF, YT


def test_a_question_for_the_phone_tail_makes_no_upstream_call(core, chat, mocker):
    track = mocker.spy(core.lookup.provider, "track")
    replies = chat.say(SF)
    assert "后4位" in replies[-1].text
    track.assert_not_called()


def test_a_remembered_tail_is_sent_with_the_number(core, chat, mocker):
    chat.say(SF)
    chat.say("1234")
    track = mocker.spy(core.lookup.provider, "track")
    assert chat.say(SF)[0].card.number == SF
    track.assert_called_once()
    assert track.call_args.args[2] == "1234"  # number, vendor code, tail


def test_text_without_numbers_makes_no_upstream_call(core, chat, mocker):
    track = mocker.spy(core.lookup.provider, "track")
    chat.say("你好，在吗？")
    chat.say("/help")
    chat.say(f"/carriers 圆通 {YT[:2]}")
    track.assert_not_called()
