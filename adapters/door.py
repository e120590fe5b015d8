"""What every webhook checks at the door, before a request may reach the inbox.

Bodies come from anyone on the internet, so the parts every adapter shares live here:
- `load_json`: JSON from raw bytes with the nesting bounded (a few thousand `[` otherwise
  raise `RecursionError` inside the decoder and in every recursive reader after it) and with
  text that no database can store (NUL, lone surrogates) replaced in every string;
- `Freshness`: a signed timestamp must be near our clock, so a captured request cannot be
  replayed once the inbox has forgotten its delivery id;
- `strict_base64`: ciphertext in canonical base64 only (the lenient decoder skips junk, so a
  signed value with garbage appended would still decrypt).

Each raises `Rejected` with a short reason that carries no request data.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.base import Rejected
from bot.models import UNSTORABLE

#: Deeper than any platform's payload (Telegram's are ~8 levels, Feishu's cards ~10).
MAX_JSON_DEPTH = 64
#: Seconds a signed timestamp may differ from our clock (WeCom and Feishu sign one).
DEFAULT_MAX_SKEW = 300

_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def load_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> object:
    """The JSON value in `raw`, strings made storable; `Rejected(400)` when it is not JSON,
    not UTF-8, or nested deeper than `max_depth`."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise Rejected(400, "body nested too deeply") from None
    except (ValueError, TypeError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise Rejected(400, "body is not JSON") from None
    return _storable(value, max_depth)


def _storable(value: object, max_depth: int) -> object:
    """Walk without recursion: check the depth and rebuild strings that need cleaning."""
    root: list[object] = [value]
    stack: list[tuple[list | dict, object, object, int]] = [(root, 0, value, 0)]
    while stack:
        parent, key, node, depth = stack.pop()
        if isinstance(node, str):
            if UNSTORABLE.search(node):
                parent[key] = UNSTORABLE.sub("\ufffd", node)  # type: ignore[index]
            continue
        if isinstance(node, dict | list):
            if depth >= max_depth:
                raise Rejected(400, "body nested too deeply")
            if isinstance(node, dict):
                _clean_keys(node)
                stack.extend((node, k, v, depth + 1) for k, v in node.items())
            else:
                stack.extend((node, i, v, depth + 1) for i, v in enumerate(node))
    return root[0]


def _clean_keys(node: dict) -> None:
    for key in [k for k in node if UNSTORABLE.search(k)]:
        node[UNSTORABLE.sub("\ufffd", key)] = node.pop(key)


@dataclass(frozen=True)
class Freshness:
    """Refuses signed timestamps more than `max_skew` seconds from `now()` (0: no check)."""

    max_skew: float = DEFAULT_MAX_SKEW
    now: Callable[[], float] = field(default=time.time, compare=False)

    def check(self, timestamp: str | None) -> None:
        """`Rejected(403)` unless `timestamp` (seconds since the epoch) is recent enough."""
        try:
            seconds = int((timestamp or "").strip())
        except ValueError:
            raise Rejected(403, "bad timestamp") from None
        if self.max_skew and abs(self.now() - seconds) > self.max_skew:
            raise Rejected(403, "stale timestamp")


def strict_base64(value: str, block: int = 16) -> bytes:
    """Canonical base64 of whole cipher blocks (IV plus at least one), else `Rejected(400)`."""
    if not _BASE64.fullmatch(value) or len(value) % 4:
        raise Rejected(400, "ciphertext is not base64")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected(400, "ciphertext is not base64") from None
    if len(raw) < 2 * block or len(raw) % block:
        raise Rejected(400, "ciphertext has a bad length")
    return raw
