"""The Feishu webhook: verify, decrypt and parse a request, hand it to the inbox, answer at once.

Routes (under `/feishu`): `POST /events` for event subscriptions and `POST /card` for card
callbacks (`card.action.trigger`); each also answers Feishu's `url_verification` handshake and
both accept either kind of event, so one URL may serve both settings in the developer console.

Forged or malformed requests get 400/403 and are never accepted; events the bot ignores get 200,
because any other status makes Feishu retry for hours. Only a failure to record the message
(the database) answers 500, on purpose: then Feishu's retry is what we want.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

from adapters.base import Rejected
from adapters.door import Freshness, load_json
from adapters.feishu.crypto import DecryptError, decrypt, signature_valid
from adapters.feishu.parse import CARD_ACTION_EVENT, MESSAGE_EVENT, PLATFORM, parse_envelope
from bot.runtime.ports import Inbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookSecrets:
    """The app's Verification Token and Encrypt Key ("" when encryption is off)."""

    verification_token: str
    encrypt_key: str = ""


def open_request(
    raw: bytes,
    headers: Mapping[str, str],
    secrets: WebhookSecrets,
    freshness: Freshness | None = None,
) -> dict:
    """Verify and decrypt one webhook body; return the plaintext payload.

    With an Encrypt Key every event is signed over the raw bytes, and a signed request is
    checked (signature and timestamp) before its body is even parsed. The URL-verification
    handshake carries no signature headers; it is authenticated by its token (inside the
    ciphertext when encrypted), as Feishu and its SDK do.
    """
    signed = bool(secrets.encrypt_key) and _has_signature(headers)
    if signed:
        (freshness or Freshness()).check(headers.get("X-Lark-Request-Timestamp"))
        _check_signature(raw, headers, secrets.encrypt_key)
    body = _json_object(raw)
    if secrets.encrypt_key:
        if not isinstance(body.get("encrypt"), str):
            raise Rejected(400, "expected an encrypted body")
        try:
            body = _json_object(decrypt(secrets.encrypt_key, body["encrypt"]))
        except DecryptError as exc:
            raise Rejected(400, "cannot decrypt body") from exc
    elif "encrypt" in body:
        raise Rejected(400, "encrypted body but no Encrypt Key configured")
    if body.get("type") == "url_verification":
        _check_token(body.get("token"), secrets)
        return body
    if secrets.encrypt_key and not signed:
        raise Rejected(403, "missing signature headers")
    header = body.get("header")
    token = header.get("token") if isinstance(header, dict) else body.get("token")
    _check_token(token, secrets)
    return body


_SIGNATURE_HEADERS = ("X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature")
_TIMESTAMP = re.compile(r"\d{1,20}")
_SIGNATURE = re.compile(r"\s*[0-9A-Fa-f]{64}\s*")
_NONCE_MAX = 128


def check_headers(headers: Mapping[str, str], secrets: WebhookSecrets) -> None:
    """Refuse, before the body is read, what the headers alone show is not from Feishu.

    With an Encrypt Key, Feishu signs every event: the three signature headers come together,
    a decimal timestamp and a sha256 hex digest. Only the URL-verification handshake has none
    of them, so a request without any still needs its body to be judged."""
    if not secrets.encrypt_key:
        return
    timestamp, nonce, given = (headers.get(name, "") for name in _SIGNATURE_HEADERS)
    if not (timestamp or nonce or given):
        return
    if not (_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(given)):
        raise Rejected(403, "malformed signature headers")
    if not nonce or len(nonce) > _NONCE_MAX:
        raise Rejected(403, "malformed signature headers")


def _json_object(raw: bytes) -> dict[str, Any]:
    value = load_json(raw)
    if not isinstance(value, dict):
        raise Rejected(400, "body is not a JSON object")
    return value


def _has_signature(headers: Mapping[str, str]) -> bool:
    names = ("X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature")
    return all(headers.get(name) for name in names)


def _check_signature(raw: bytes, headers: Mapping[str, str], encrypt_key: str) -> None:
    timestamp = headers["X-Lark-Request-Timestamp"]
    nonce = headers["X-Lark-Request-Nonce"]
    if not signature_valid(timestamp, nonce, encrypt_key, raw, headers["X-Lark-Signature"]):
        raise Rejected(403, "bad signature")


def _check_token(token: object, secrets: WebhookSecrets) -> None:
    expected = secrets.verification_token.encode("utf-8")
    given = token.encode("utf-8") if isinstance(token, str) else b""
    if not expected or not hmac.compare_digest(expected, given):
        raise Rejected(403, "bad verification token")


def make_blueprint(
    inbox: Inbox,
    secrets: WebhookSecrets,
    bot_open_id: Callable[[], str | None],
    freshness: Freshness | None = None,
) -> Blueprint:
    """The `/feishu` routes; `bot_open_id()` returns the cached id without any I/O. Signed
    requests whose timestamp is outside `freshness` (default ±5 min) are refused."""
    blueprint = Blueprint("feishu", __name__, url_prefix="/feishu")
    if not secrets.verification_token:
        log.error("feishu: FEISHU_VERIFICATION_TOKEN is not set; every webhook call is refused")

    def handle() -> Response | tuple[Response, int]:
        try:
            check_headers(request.headers, secrets)
            raw = request.get_data(cache=False)  # within the app's body deadline
            payload = open_request(raw, request.headers, secrets, freshness)
        except Rejected as exc:
            log.warning("feishu: rejected webhook request: %s", exc.reason)
            return jsonify(error=exc.reason), exc.status
        if payload.get("type") == "url_verification":
            return jsonify(challenge=str(payload.get("challenge") or ""))
        return _deliver(payload, inbox, bot_open_id)

    blueprint.add_url_rule("/events", "events", handle, methods=["POST"])
    blueprint.add_url_rule("/card", "card", handle, methods=["POST"])
    return blueprint


def _deliver(
    payload: dict[str, Any], inbox: Inbox, bot_open_id: Callable[[], str | None]
) -> Response:
    """Parse a verified payload and record it; always 200 unless recording fails."""
    header = payload.get("header") if isinstance(payload.get("header"), dict) else {}
    is_card = header.get("event_type") == CARD_ACTION_EVENT
    # A card callback's answer is the card update: `{}` means "leave the card, no toast".
    answer = jsonify({}) if is_card else jsonify(msg="ok")
    if payload.get("schema") != "2.0":
        log.debug("feishu: ignoring a non-2.0 event")
        return answer
    try:
        parsed = parse_envelope(payload, bot_open_id())
    except Exception as exc:  # noqa: BLE001 - any shape of malformed event
        # Signed by Feishu, so retrying cannot fix it: record it as rejected and answer 200.
        # Only the exception's type is kept: its text may quote the message.
        kind, error = _event_type(header), type(exc).__name__
        log.warning("feishu: unreadable %s event (%s); recorded as rejected", kind, error)
        inbox.reject(PLATFORM, _rejected_id(header, payload), kind, error)
        return answer
    if parsed is not None and not inbox.accept(parsed.delivery_id, parsed.message):
        log.debug("feishu: duplicate delivery %s", parsed.delivery_id)
    return answer


def _rejected_id(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """The event id (so Feishu's re-delivery is a duplicate), or a digest of the payload."""
    event_id = header.get("event_id")
    if isinstance(event_id, str) and 0 < len(event_id) <= 120:
        return f"event:{event_id}"
    text = json.dumps(payload, sort_keys=True, default=str)
    return "unreadable:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _event_type(header: dict[str, Any]) -> str:
    """The event type for a log line: a known type or "unknown", never request text."""
    event_type = header.get("event_type")
    return event_type if event_type in (MESSAGE_EVENT, CARD_ACTION_EVENT) else "unknown"
