"""Which language a chat is answered in.

In order: the chat's own choice (`/lang zh|en`, kept per chat), the language the platform
reports for the user (Telegram's `language_code`), the script of the message itself, and
Chinese. Reading the script ignores what says nothing about the writer: command words
(`/rename`, `/auto off`), numbers and waybill numbers, and short all-capital tokens (carrier
codes such as SF, EMS, YTO), so `/rename SF… 妈妈的` is Chinese and `/auto off` is nobody's.
"""

from __future__ import annotations

import re

from bot.texts import is_english

ZH, EN = "zh", "en"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SLASH_COMMAND = re.compile(r"^\s*/[A-Za-z_]+(?:@\w+)?")
_TOKEN = re.compile(r"[^\s,，。.!！?？:：;；()（）\[\]【】\"'“”‘’]+")
#: Argument words of commands: they are the bot's vocabulary, not the writer's language.
COMMAND_WORDS = frozenset(
    {"on", "off", "all", "milestones", "milestone", "zh", "en", "cancel", "auto", "ok"}
)


def normalise(language: str | None) -> str | None:
    """ "zh" or "en" from a platform's code ("zh-hans", "en-US", "de" → "en"); None if empty."""
    if not language:
        return None
    return ZH if language.lower().startswith("zh") else EN


def script_language(text: str) -> str | None:
    """ "zh" when the words are Chinese, "en" when they are Latin, None when the message has
    no words that tell (only numbers, codes and command words)."""
    text = _SLASH_COMMAND.sub(" ", text)
    if _CJK.search(text):
        return ZH
    for token in _TOKEN.findall(text):
        if any(ch.isdigit() for ch in token) or not re.search(r"[A-Za-z]", token):
            continue  # a number, a waybill number, punctuation
        if token.isupper() and len(token) <= 5:
            continue  # a carrier code or an abbreviation
        if token.lower() in COMMAND_WORDS:
            continue
        return EN
    return None


def resolve(chosen: str | None, platform: str, text: str) -> str:
    """The language to answer in (see the module docstring)."""
    return chosen or normalise(platform) or script_language(text) or ZH


__all__ = ["EN", "ZH", "is_english", "normalise", "resolve", "script_language"]
