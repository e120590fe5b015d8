"""A strict checker for Telegram's HTML parse mode, for tests.

Stricter than Telegram: only the documented tags and attributes, properly nested; no bare
`<`, `>` or `&` in text; only the named entities `&lt; &gt; &amp; &quot;` (plus numeric ones),
always with their `;`. `telegram_text(html)` returns the text Telegram would display, or
raises `TelegramHTMLError`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

ALLOWED_TAGS: dict[str, set[str]] = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);)")


class TelegramHTMLError(ValueError):
    """The HTML would make Telegram answer `can't parse entities`."""


class _Strict(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise TelegramHTMLError(f"unsupported start tag {tag!r}")
        for name, _value in attrs:
            if name not in ALLOWED_TAGS[tag]:
                raise TelegramHTMLError(f"unsupported attribute {name!r} on {tag!r}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise TelegramHTMLError(f"unmatched end tag {tag!r} (open: {self.stack})")
        self.stack.pop()

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        raise TelegramHTMLError(f"self-closing tag {tag!r}")

    def handle_data(self, data: str) -> None:
        for char in "<>&":
            if char in data:
                raise TelegramHTMLError(f"bare {char!r} in text {data!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            raise TelegramHTMLError(f"unsupported entity &{name};")
        self.text.append(NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))

    def handle_comment(self, data: str) -> None:
        raise TelegramHTMLError("comment")

    def handle_decl(self, decl: str) -> None:
        raise TelegramHTMLError("declaration")

    def handle_pi(self, data: str) -> None:
        raise TelegramHTMLError("processing instruction")

    def unknown_decl(self, data: str) -> None:
        raise TelegramHTMLError("unknown declaration")


def telegram_text(message_html: str) -> str:
    """The displayed text of `message_html`; raises `TelegramHTMLError` when malformed."""
    if _AMPERSAND.search(message_html):
        raise TelegramHTMLError("'&' that does not start a supported entity")
    parser = _Strict()
    parser.feed(message_html)
    parser.close()
    if parser.rawdata:
        raise TelegramHTMLError(f"unparsed trailing input {parser.rawdata!r}")
    if parser.stack:
        raise TelegramHTMLError(f"unclosed tags {parser.stack}")
    return "".join(parser.text)
