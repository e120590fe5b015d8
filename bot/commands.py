"""Command parsing: `/cmd@bot args` and the Chinese aliases people type instead.

One table maps every spelling to a command name, so adding an alias is one entry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: command name → spellings (slash commands without the slash, then typed aliases).
COMMANDS: dict[str, tuple[str, ...]] = {
    "help": ("start", "help", "帮助", "使用说明"),
    "track": ("track", "t", "查快递", "查单号", "查物流", "查询"),
    "carriers": ("carriers", "carrier", "快递公司", "查快递公司"),
    "history": ("history", "全部记录", "物流详情"),
    "subscribe": ("subscribe", "sub", "订阅", "关注"),
    "unsubscribe": ("unsubscribe", "unsub", "取消订阅", "退订", "取消关注"),
    "list": ("list", "ls", "我的快递", "我的订阅", "订阅列表"),
    "rename": ("rename", "label", "改备注", "备注"),
    "status": ("status", "运行状态"),
    "auto": ("auto", "自动识别"),
    "cancel": ("cancel",),
    "lang": ("lang", "language", "语言"),
}

_SLASH = {spelling: name for name, spellings in COMMANDS.items() for spelling in spellings}
# Typed aliases match at the very start, longest first ("取消订阅" before "订阅").
_ALIASES = sorted(
    ((s, name) for name, spellings in COMMANDS.items() for s in spellings if not s.isascii()),
    key=lambda pair: -len(pair[0]),
)
_SLASH_RE = re.compile(r"^/([A-Za-z_]+)(?:@(\w+))?(?:\s+|$)(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Command:
    """A parsed command: its name, the rest of the text, and the bot it was aimed at."""

    name: str
    args: str
    bot: str | None = None

    @property
    def words(self) -> list[str]:
        """The arguments split on white space."""
        return self.args.split()


def parse_command(text: str) -> Command | None:
    """The command in `text`, or None for free text. Unknown slash words → name "unknown"."""
    stripped = unicodedata.normalize("NFKC", text).strip()
    match = _SLASH_RE.match(stripped)
    if match:
        word, bot, args = match.groups()
        return Command(_SLASH.get(word.lower(), "unknown"), args.strip(), bot)
    for alias, name in _ALIASES:
        if stripped.startswith(alias):
            rest = stripped[len(alias) :]
            # "订阅SF123" and "订阅 SF123" are commands; "订阅的那个" is just chat.
            if not rest or rest[0] in " :：,，" or rest[0].isascii() and rest[0].isalnum():
                return Command(name, rest.lstrip(" :：,，").strip())
    return None
