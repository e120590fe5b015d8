"""Hypothesis strategies for hostile requests: text no database stores, JSON of the wrong
types, payloads with fields swapped or dropped, and what can be done to a request on the wire.

Every strategy builds from a well-formed payload of the platform (so a good share of examples
gets past the signature and the parser) and then breaks it; `wire` then breaks the request
itself. A `Request` says whether it is still what the platform would send (`forged=False`).
"""

from __future__ import annotations

import copy
import json
from xml.sax.saxutils import escape

from hypothesis import strategies as st

from tests.door import stack as s
from tests.door.stack import Request

#: Strings that broke something once, or are meant to.
NASTY = [
    "", " ", "\x00", "\ud800", "\udfff", "a\ud83d", "\ud83d\ude00", "SF1524097970481",
    "尾号1234", "/track SF1524097970481 1234", "/subscribe", "@_user_1", "@_all",
    "]]>", "<xml>", "&amp;", "%s%n", "\u202e", "\ufeff", "\r\n", "9" * 40, "١٢٣٤",
]  # fmt: skip
#: Any code point, surrogates and NUL included (hypothesis leaves out surrogates by default).
ANY_CHAR = st.characters(exclude_categories=())
texts = st.one_of(
    st.sampled_from(NASTY),
    st.text(ANY_CHAR, max_size=40),
    st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.text(ANY_CHAR, max_size=20)),
)
#: What users type: the short texts above, or long runs of digits, NUL and lone surrogates.
message_texts = texts | st.text(st.sampled_from("SF0123456789 \x00\ud800尾号"), max_size=2000)
#: What an HTTP header value can carry (the test client refuses line breaks).
HEADER_CHARS = st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f")
#: What XML 1.0 can carry (no control characters, no surrogates).
XML_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
#: Ids as platforms write them, mostly; sometimes any text.
ids = st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True) | texts
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


def _slots(value: object) -> list[tuple[list | dict, object]]:
    """Every (container, key) in a JSON value, for picking one to break."""
    found: list[tuple[list | dict, object]] = []
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)  # type: ignore
        for key, child in items:
            found.append((node, key))  # type: ignore[arg-type]
            if isinstance(child, dict | list):
                stack.append(child)
    return found


@st.composite
def broken(draw, template: dict) -> dict:
    """`template` as it is, or with 1–3 fields replaced by any JSON value or removed."""
    value = copy.deepcopy(template)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        slots = _slots(value)
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        if draw(st.booleans()) and isinstance(container, dict):
            del container[key]
        else:
            container[key] = draw(json_values)  # type: ignore[index]
    return value


# --- well-formed payloads, then broken ----------------------------------------------------


@st.composite
def telegram_update(draw) -> dict:
    """A Telegram update: a message (private or group) or a button press, then broken."""
    user = {"id": draw(st.integers(1, 2**40)), "is_bot": False, "first_name": draw(texts)}
    chat_type = draw(st.sampled_from(["private", "group", "supergroup", "channel"]))
    chat = {"id": draw(st.integers(-(2**52), 2**52)), "type": chat_type}
    message = {
        "message_id": draw(st.integers(1, 2**31)),
        "date": draw(st.sampled_from([1767225600, 0, 2**31]) | st.integers()),
        "chat": chat,
        "from": user,
        "text": draw(message_texts),
    }
    if draw(st.booleans()):
        offset = draw(st.integers(-5, 50))
        length = draw(st.integers(-5, 50))
        kind = draw(st.sampled_from(["bot_command", "mention", "text_mention", "url"]))
        message["entities"] = [{"type": kind, "offset": offset, "length": length, "user": user}]
    update: dict = {"update_id": draw(st.integers(0, 2**31))}
    if draw(st.integers(0, 3)) == 0:
        data = draw(texts)
        query = {"id": "cb1", "from": user, "message": message, "data": data}
        update["callback_query"] = {**query, "chat_instance": "-42"}
    else:
        update["message"] = message
    return draw(broken(update))


def _wecom_xml(fields: dict[str, object]) -> str:
    parts = []
    for key, value in fields.items():
        text = escape(value) if isinstance(value, str) else json.dumps(value)
        parts.append(f"<{key}>{text}</{key}>")
    return "<xml>" + "".join(parts) + "</xml>"


@st.composite
def wecom_app_plaintext(draw) -> str:
    """The decrypted XML of an app callback: a text message or an event, then broken."""
    fields: dict[str, object] = {
        "ToUserName": draw(st.sampled_from([s.CORP_ID, s.CORP_ID, "ww-other-corp"])),
        "FromUserName": draw(ids),
        "CreateTime": draw(st.integers(0, 2**33)),
        "MsgType": draw(st.sampled_from(["text", "text", "event", "image", "voice"])),
        "Content": draw(message_texts | st.text(XML_CHARS, max_size=300)),
        "MsgId": draw(st.integers(0, 2**64)),
        "Event": draw(st.sampled_from(["enter_agent", "subscribe", "click"])),
        "AgentID": 1000002,
    }
    fields = draw(broken(fields))
    xml = _wecom_xml(fields)
    if draw(st.integers(0, 5)) == 0:  # markup no WeCom sends: entities, nesting, junk
        extra = draw(st.sampled_from(["<!DOCTYPE x>", "<a><b><c/></b></a>", "&#0;", "\x00"]))
        at = draw(st.integers(0, len(xml)))
        xml = xml[:at] + extra + xml[at:]
    return xml


@st.composite
def wecom_aibot_payload(draw) -> dict:
    """The decrypted JSON of an AI-bot callback: text, mixed or an event, then broken."""
    kind = draw(st.sampled_from(["text", "mixed", "event", "image"]))
    payload: dict = {
        "msgid": draw(ids),
        "aibotid": "bot1",
        "chatid": draw(ids),
        "chattype": draw(st.sampled_from(["single", "group"])),
        "from": {"userid": draw(ids)},
        "response_url": "http://127.0.0.1:9/r",
        "msgtype": kind,
        "text": {"content": draw(message_texts)},
        "mixed": {"msg_item": [{"msgtype": "text", "text": {"content": draw(message_texts)}}]},
        "event": {"eventtype": "enter_chat"},
    }
    return draw(broken(payload))


@st.composite
def feishu_payload(draw, path: str) -> dict:
    """A schema 2.0 message event or card action (either route takes both), then broken."""
    if draw(st.booleans()) == (path == "/feishu/events"):
        payload = copy.deepcopy(s.FEISHU["event"]["plaintext"])
        payload["header"]["event_id"] = draw(ids)
        message = payload["event"]["message"]
        message["message_id"] = draw(ids)
        message["message_type"] = draw(st.sampled_from(["text", "post", "image"]))
        content: object = {"text": draw(message_texts)}
        if message["message_type"] == "post":
            content = {
                "zh_cn": {
                    "title": draw(texts),
                    "content": [[{"tag": "text", "text": draw(message_texts)}]],
                }
            }
        message["content"] = draw(st.one_of(st.just(json.dumps(content)), texts))
    else:
        header = {"event_id": draw(ids), "event_type": "card.action.trigger"}
        payload = {
            "schema": "2.0",
            "header": {**header, "token": s.FEISHU_TOKEN},
            "event": {
                "operator": {"open_id": draw(ids)},
                "action": {"value": {"action": draw(texts), "chat_type": "group"}},
                "context": {"open_message_id": draw(ids), "open_chat_id": draw(ids)},
            },
        }  # fmt: skip
    return draw(broken(payload))


# --- what can be done to a request on the wire --------------------------------------------

STALE = [0, 1451606400, 1577836800, "now-3600", "now+3600", "-1", "1e9", "", "x"]


def stale_time(choice: object) -> int | str:
    """A timestamp outside the freshness window (or not a timestamp at all)."""
    offsets = {"now-3600": -3600, "now+3600": 3600}
    return s.now() + offsets[choice] if choice in offsets else choice  # type: ignore[return-value]


@st.composite
def body_damage(draw, request: Request, *, body_signed: bool) -> Request:
    """`request` with its body or content type damaged, or left alone."""
    body = request.body
    how = draw(
        st.sampled_from(["none", "none", "truncate", "garbage", "utf8", "nest", "type", "huge"])
    )
    if how == "none":
        return request
    if how == "huge":  # announced (or chunked) beyond the limit: refused before it is read
        size = draw(st.sampled_from([s.MAX_BODY + 1, 10 * s.MAX_BODY, 2**31]))
        return request.but(huge=size, chunked=draw(st.booleans()), forged=True)
    if how == "type":
        kind = draw(st.sampled_from(["text/plain", "application/x-www-form-urlencoded", ""]))
        return request.but(headers={**request.headers, "Content-Type": kind})
    if how == "truncate":
        body = body[: draw(st.integers(0, max(0, len(body) - 1)))]
    elif how == "garbage":
        body = draw(st.binary(max_size=300))
    elif how == "utf8":
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80"])) + body[at:]
    else:
        depth = draw(st.sampled_from([65, 1000, 20000]))
        body = b'{"a":' * depth + b"1" + b"}" * depth
    return request.but(body=body, forged=request.forged or body_signed)
