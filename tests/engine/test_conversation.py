"""The engine through a fake adapter: multi-number messages, the SF phone-tail dialogue,
group gating, caps, commands and bad input."""

from __future__ import annotations

from tests.support.chat import SF, YT, Chat


def test_two_numbers_sf_asks_tail_then_answers(chat, upstream):
    replies = chat.say(f"帮我查下 {SF} 和 {YT}，谢谢")
    cards = [r.card for r in replies if r.card]
    assert [c.number for c in cards] == [YT]
    assert cards[0].carrier_code == "yuantong" and cards[0].events
    assert "后4位" in replies[-1].text and SF in replies[-1].text
    assert upstream.requests_for(SF) == []  # asked first: no paid call without the tail

    replies = chat.say("1234")
    assert [r.card.number for r in replies if r.card] == [SF]
    assert upstream.requests_for(SF)[-1].query["tel"] == "1234"

    # Remembered: asking again neither prompts nor costs a call (cache).
    calls = len(upstream.requests)
    replies = chat.say(SF)
    assert replies[0].card is not None and replies[0].card.number == SF
    assert len(upstream.requests) == calls


def test_tail_written_as_weihao_and_inline(chat, upstream):
    chat.say(SF)
    replies = chat.say("尾号5678")
    assert replies[0].card.number == SF
    assert upstream.requests_for(SF)[-1].query["tel"] == "5678"

    other = Chat(chat.engine, user_id="u2")
    replies = other.say(f"{SF} 4321")
    assert replies[0].card.number == SF
    assert upstream.requests_for(SF)[-1].query["tel"] == "4321"


def test_pending_prompt_expires_after_ten_minutes(chat, upstream, clock):
    chat.say(SF)
    clock.advance(minutes=11)
    replies = chat.say("1234")
    assert replies and replies[0].card is None
    assert upstream.requests_for(SF) == []


def test_wrong_tail_asks_again(chat, upstream):
    from tests.fakes.upstream_server import FakeResponse

    def refuse(request):
        body = {"ok": 0, "msg": "手机尾号不正确", "status": 0, "data": []}
        return FakeResponse(666, body, {}, 0.0)

    upstream.set_handler(SF, refuse)
    chat.say(SF)
    replies = chat.say("0000")
    assert "0000" in replies[-1].text and replies[-1].card is None
    # still pending: the next tail is tried
    upstream.set_handler(SF, __import__("tests.support.chat").support.chat.sf_needs_tail)
    replies = chat.say("1234")
    assert replies[0].card.number == SF


def test_group_gating_and_auto_mode(core, upstream):
    group = Chat(core.engine, chat_id="g1", is_group=True)
    assert group.say(f"这是 {YT}", addressed=False) == []
    assert upstream.requests_for(YT) == []
    replies = group.say(f"@bot {YT}", addressed=True)
    assert replies[0].card.number == YT
    assert replies[0].reply_to is not None  # quotes the asker in groups

    assert "自动" in group.say("/auto on", addressed=True)[0].text
    assert group.say("今天天气不错", addressed=False) == []  # chatter stays silent
    replies = group.say("ZTO 78627000000758 到了吗", addressed=False)
    assert replies and replies[0].card is not None


def test_group_tail_answer_without_mention(core, upstream):
    group = Chat(core.engine, chat_id="g1", is_group=True)
    assert "后4位" in group.say(SF, addressed=True)[-1].text
    replies = group.say("1234", addressed=False)
    assert replies[0].card.number == SF
    # another member's digits are not taken as an answer
    other = Chat(core.engine, chat_id="g1", user_id="u9", is_group=True)
    assert other.say("5678", addressed=False) == []


def test_more_than_five_numbers_capped(chat, upstream):
    numbers = [f"YT12345678901{i:02d}" for i in range(7)]
    replies = chat.say(" ".join(numbers))
    assert "7" in replies[0].text and "5" in replies[0].text
    assert len({r.number for r in upstream.requests}) == 5


def test_no_record_offers_subscription_kindly(chat, upstream):
    upstream.set_track(YT, 1, [])
    replies = chat.say(YT)
    assert "还没有物流记录" in replies[0].text
    assert any(b.action == f"refresh:{YT}" for b in replies[0].buttons)


def test_upstream_errors_become_sentences(chat, upstream):
    upstream.set_quota_exhausted(YT)
    assert "次数已用完" in chat.say(YT)[0].text
    upstream.set_gateway_error("YT1234567890124", 504, "Async Service")
    assert "稍后再试" in chat.say("YT1234567890124")[0].text
    upstream.set_failure("YT1234567890125", "快递单号格式不正确")
    assert "无效" in chat.say("YT1234567890125")[0].text


def test_phone_required_for_other_carrier_prompts(chat, upstream):
    from tests.support.chat import sf_needs_tail

    upstream.set_handler(YT, sf_needs_tail)
    replies = chat.say(YT)
    assert "后4位" in replies[-1].text
    assert chat.say("尾号 2468")[0].card.number == YT


def test_refresh_button_edits_the_card_and_bypasses_cache(chat, upstream):
    chat.say(YT)
    before = len(upstream.requests_for(YT))
    replies = chat.say("", action=f"refresh:{YT}", callback_id="cb1")
    assert replies[0].card.number == YT
    assert replies[0].edit_of is not None
    assert replies[0].callback_id == "cb1"
    assert len(upstream.requests_for(YT)) == before + 1


def test_commands_and_aliases(chat, upstream):
    assert "/track" in chat.say("/help")[0].text
    assert chat.say(f"/track {YT}")[0].card.number == YT
    assert chat.say(f"查快递 {YT}")[0].card.number == YT
    assert "顺丰" in chat.say("/carriers 顺丰")[0].text
    assert "/carriers" in chat.say("/carriers")[0].text
    assert "命令" in chat.say("/nosuchthing")[0].text
    assert chat.say(f"/start {YT}")[0].card.number == YT  # deep link


def test_english_replies(core, upstream):
    chat = Chat(core.engine, language="en")
    upstream.set_quota_exhausted(YT)
    assert "quota" in chat.say(f"where is {YT}")[0].text


def test_bad_input_never_crashes(chat, upstream):
    assert chat.say("") == []
    assert chat.say("   \n ") == []
    assert "没有" in chat.say("😀😀😀🚚")[0].text
    assert chat.say("\x00\x01\x02\ufffd" * 50)[0].text
    big = ("随便说点什么 1234 " * 10000)[:100_000]
    replies = chat.say(big)
    assert len(replies) == 1 and replies[0].text


def test_new_numbers_supersede_the_open_question(chat, upstream):
    chat.say(SF)
    assert chat.say(f"{YT}")[0].card.number == YT
    replies = chat.say("1234")  # the question about SF was dropped: digits are not a tail now
    assert all(r.card is None for r in replies)
    assert upstream.requests_for(SF) == []


def test_refresh_of_a_number_needing_a_tail_asks_without_calling(chat, upstream):
    replies = chat.say("", action=f"refresh:{SF}", callback_id="cb")
    assert "后4位" in replies[-1].text
    assert upstream.requests_for(SF) == []
    assert chat.say("1234")[0].card.number == SF


def test_carriers_page_past_the_end_shows_the_last_page(chat):
    text = chat.say("/carriers 快递 9999")[0].text
    assert "页" in text and "没有找到" not in text


def test_refresh_presses_in_quick_succession_cost_one_call(chat, upstream):
    chat.say(YT)
    before = len(upstream.requests_for(YT))
    for press in range(3):
        replies = chat.say("", action=f"refresh:{YT}", callback_id=f"cb{press}")
        assert replies[0].card.number == YT
    assert len(upstream.requests_for(YT)) == before + 1


def test_an_edit_answers_only_the_numbers_it_added_and_respects_group_addressing(core):
    from bot.models import Incoming

    def say(text: str, **kw) -> list:
        base = {"platform": "test", "chat_id": "g1", "user_id": "u1", "message_id": "7"}
        return core.engine.handle(Incoming(text=text, **{**base, **kw}))

    first = say("YT1234567890123", is_group=True, addressed=True)
    unaddressed = say("YT1234567890123 YT1234567890124", is_group=True, addressed=False,
                      edited=True)  # fmt: skip
    addressed = say("YT1234567890123 YT1234567890124", is_group=True, addressed=True,
                    edited=True)  # fmt: skip
    again = say("YT1234567890123 YT1234567890124 谢谢", is_group=True, addressed=True,
                edited=True)  # fmt: skip

    assert [r.card.number for r in first] == ["YT1234567890123"]
    assert unaddressed == []  # an un-mentioned edit in a group is not for the bot
    assert [r.card.number for r in addressed] == ["YT1234567890124"]
    assert again == []  # nothing new in it
