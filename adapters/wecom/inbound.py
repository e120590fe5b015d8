"""WeCom webhooks: `/wecom/callback` (self-built app, XML) and `/wecom/aibot` (AI bot, JSON).

Both use WeCom's scheme: sha1 signature over (token, timestamp, nonce, ciphertext), AES-256-CBC
with the EncodingAESKey, and a receive id appended to the plaintext — our CorpID for the app,
the empty string for the AI bot. `GET` is the URL check (answer the decrypted echostr, exactly);
`POST` is verified, decrypted, parsed, handed to `Inbox.accept`, and answered with an empty 200
at once: replies go out later through `message/send` or the message's `response_url`.
Forged or malformed requests get 403/400 with a short text and nothing is accepted.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable

import xmltodict
from flask import Blueprint, Response, request
from wechatpy.enterprise import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException

from adapters.base import Rejected
from adapters.door import Freshness, load_json, strict_base64
from adapters.wecom.parse import PLATFORM, MalformedPayload, parse_aibot_json, parse_app_xml
from adapters.wecom.response_urls import ResponseUrls
from bot.runtime.ports import Inbox

log = logging.getLogger(__name__)

#: WeCom callbacks are a few hundred bytes; anything far larger is not from WeCom.
MAX_BODY_BYTES = 64 * 1024

_QUERY = ("msg_signature", "timestamp", "nonce")
#: The shapes of WeCom's query parameters: a sha1 hex digest, a decimal timestamp, a nonce.
_SHAPES = (re.compile(r"[0-9a-fA-F]{40}"), re.compile(r"\d{1,20}"), re.compile(r"[^\s]{1,128}"))


def _plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _query(freshness: Freshness) -> tuple[str, str, str]:
    """The signature parameters, checked before the body is read (a malformed query is not
    WeCom's, and a stale timestamp a replay: no need to wait for its body)."""
    values = tuple(request.args.get(name, "") for name in _QUERY)
    if not all(values):
        raise Rejected(400, "missing signature parameters")
    if not all(shape.fullmatch(value) for shape, value in zip(_SHAPES, values, strict=True)):
        raise Rejected(400, "malformed signature parameters")
    freshness.check(values[1])
    return values  # type: ignore[return-value]


def _decrypt(action: Callable[[], str]) -> str:
    """Run a wechatpy verify/decrypt call and map its failures to rejections."""
    try:
        return action()
    except (InvalidSignatureException, InvalidCorpIdException):
        raise Rejected(403, "bad signature or receive id") from None
    except Exception:  # noqa: BLE001 - bad base64/padding/XML/UTF-8 all mean "malformed"
        raise Rejected(400, "malformed payload") from None


def verify_url(crypto: WeChatCrypto, freshness: Freshness) -> str:
    """The URL check: verify the signature over echostr and return its decrypted text."""
    signature, timestamp, nonce = _query(freshness)
    # An unencoded "+" in the query arrives as a space; base64 never contains spaces.
    echostr = request.args.get("echostr", "").replace(" ", "+")
    if not echostr:
        raise Rejected(400, "missing echostr")
    strict_base64(echostr)
    return _decrypt(lambda: crypto.check_signature(signature, timestamp, nonce, echostr))


def _body() -> bytes:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise Rejected(413, "body too large")
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(413, "body too large")
    return body


def decrypt_app_post(crypto: WeChatCrypto, freshness: Freshness) -> str:
    """The decrypted XML of a self-built app callback."""
    signature, timestamp, nonce = _query(freshness)
    encrypted = _app_envelope(_body())
    return _decrypt(
        lambda: crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp, nonce)
    )


def _app_envelope(body: bytes) -> str:
    """The `Encrypt` field of the app's XML envelope, read with entities refused (xmltodict
    raises on any entity declaration, so nothing is expanded or fetched)."""
    try:
        fields = xmltodict.parse(body, disable_entities=True)["xml"]
        encrypted = fields["Encrypt"]
    except Exception:  # noqa: BLE001 - expat errors, entities, a wrong shape: not WeCom's
        raise Rejected(400, "malformed body") from None
    if not isinstance(encrypted, str) or not encrypted:
        raise Rejected(400, "malformed body")
    strict_base64(encrypted)
    return encrypted


def decrypt_aibot_post(crypto: WeChatCrypto, freshness: Freshness) -> str:
    """The decrypted JSON text of an AI-bot callback (`{"encrypt": …}` body)."""
    signature, timestamp, nonce = _query(freshness)
    envelope = load_json(_body())
    encrypted = envelope.get("encrypt") if isinstance(envelope, dict) else None
    if not isinstance(encrypted, str) or not encrypted:
        raise Rejected(400, "malformed body")
    strict_base64(encrypted)
    return _decrypt(
        lambda: crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp, nonce)
    )


def _reject(inbox: Inbox, plaintext: str, kind: str, error: MalformedPayload) -> None:
    """Record a signed message we cannot read as rejected, under a digest of its plaintext (a
    re-delivery is then a duplicate); the reason is a fixed phrase, never the content."""
    digest = hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    inbox.reject(PLATFORM, f"unreadable:{digest}", kind, str(error))


def _guarded(handler: Callable[[], Response]) -> Response:
    """Turn a `Rejected` into a short text answer; log it without request data."""
    try:
        return handler()
    except Rejected as rejected:
        log.warning("WeCom request rejected (%s): %s", rejected.status, rejected.reason)
        return _plain(rejected.reason, rejected.status)


def make_blueprint(
    inbox: Inbox,
    app_crypto: WeChatCrypto | None,
    corp_id: str,
    aibot_crypto: WeChatCrypto | None,
    response_urls: ResponseUrls,
    welcome_hours: int = 24,
    freshness: Freshness | None = None,
) -> Blueprint:
    """The Flask routes; an unconfigured side (app or AI bot) answers 404. Signed
    timestamps outside `freshness` (default ±5 min of now) are refused."""
    freshness = freshness or Freshness()
    blueprint = Blueprint("wecom", __name__)

    def need(crypto: WeChatCrypto | None) -> WeChatCrypto:
        if crypto is None:
            raise Rejected(404, "not configured")
        return crypto

    def app_callback() -> Response:
        crypto = need(app_crypto)
        if request.method == "GET":
            return _plain(verify_url(crypto, freshness))
        plaintext = decrypt_app_post(crypto, freshness)
        try:
            parsed = parse_app_xml(plaintext, corp_id, welcome_hours)
        except MalformedPayload as exc:
            _reject(inbox, plaintext, "app message", exc)
            raise Rejected(400, "malformed message") from exc
        except PermissionError:
            raise Rejected(403, "bad signature or receive id") from None
        if parsed is None:
            log.debug("WeCom app: ignored a non-text message or event")
        else:
            inbox.accept(*parsed)
        return _plain("")

    def aibot_callback() -> Response:
        crypto = need(aibot_crypto)
        if request.method == "GET":
            return _plain(verify_url(crypto, freshness))
        plaintext = decrypt_aibot_post(crypto, freshness)
        try:
            message = parse_aibot_json(plaintext)
        except MalformedPayload as exc:
            _reject(inbox, plaintext, "AI bot message", exc)
            raise Rejected(400, "malformed message") from exc
        if message is None:
            log.debug("WeCom AI bot: ignored an event or non-text message")
            return _plain("")
        # Stored before accept(): a worker may pick the message up the moment it is inserted.
        incoming = message.incoming
        response_urls.remember(incoming.chat_id, incoming.message_id, message.response_url)
        inbox.accept(message.delivery_id, incoming)
        return _plain("")

    blueprint.add_url_rule(
        "/wecom/callback", "callback", lambda: _guarded(app_callback), methods=["GET", "POST"]
    )
    blueprint.add_url_rule(
        "/wecom/aibot", "aibot", lambda: _guarded(aibot_callback), methods=["GET", "POST"]
    )
    return blueprint
