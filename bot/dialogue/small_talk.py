"""Short useful answers to what people say to a bot besides waybill numbers: greetings, a
call for help, thanks, asking for a human. Anything else gets the usual "no number found".

A message counts as small talk only when it is short and made of these words (plus
punctuation, emoji and filler), so "hello, where is SF…" is still a tracking request.
"""

from __future__ import annotations

import re

from bot.texts import t

#: Reply key → words, compared after lower-casing and dropping punctuation and spaces.
_WORDS: dict[str, tuple[str, ...]] = {
    "talk_hello": (
        "hello", "hi", "hey", "hiya", "goodmorning", "goodevening", "anyonethere",
        "你好", "您好", "嗨", "哈喽", "哈啰", "在吗", "在不在", "早", "早上好", "晚上好", "有人吗",
    ),
    "help": (
        "help", "helpme", "helpplease", "pleasehelp", "howdoesthiswork", "howtouse",
        "帮助", "帮忙", "求助", "怎么用", "如何使用", "使用方法", "你能做什么", "你会什么",
    ),
    "talk_thanks": (
        "thanks", "thankyou", "thx", "ty", "thanksalot", "thankyousomuch",
        "谢谢", "多谢", "谢了", "感谢", "谢谢你", "辛苦了",
    ),
    "talk_ack": ("ok", "okay", "great", "cool", "好的", "收到", "好", "嗯", "行", "知道了"),
    "talk_human": (
        "human", "agent", "realperson", "operator", "talktoahuman", "customerservice",
        "support", "人工", "人工客服", "转人工", "客服", "真人", "找客服", "投诉",
    ),
}  # fmt: skip
_LOOKUP = {word: key for key, words in _WORDS.items() for word in words}
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_FILLER = ("please", "pls", "bot", "啊", "呀", "呢", "吧", "哦", "一下", "请", "机器人")
#: Longer messages are not small talk (they may describe a problem with a parcel).
MAX_LENGTH = 30


def small_talk(text: str, language: str) -> str | None:
    """The answer to `text` if it is small talk, else None."""
    if len(text) > MAX_LENGTH:
        return None
    folded = _NOISE.sub("", text.lower())
    key = _LOOKUP.get(folded) or _LOOKUP.get(_strip_filler(folded))
    return t(key, language) if key else None


def _strip_filler(folded: str) -> str:
    for word in _FILLER:
        folded = folded.replace(word, "")
    return folded
