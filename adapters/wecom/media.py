"""Downloading the pictures users send to WeCom, in the worker.

Self-built app: an `image` message carries a MediaId; `GET /cgi-bin/media/get?access_token=
&media_id=` serves the file, or a JSON `{errcode, errmsg}` instead (an expired token is
refreshed once, as for sends; 40007 = the MediaId is unknown or past its 3 days).

AI bot (智能机器人): a picture (an `image` message, or inside `mixed`) carries a download URL
valid for a few minutes, and the file behind it is encrypted with the bot's EncodingAESKey:
AES-256-CBC, key = base64(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7
padding to 32-byte blocks (the scheme of the callbacks, without their random prefix, length
and receive id), undone with `cryptography`'s AES-CBC and PKCS7(256) unpadder.
"""

from __future__ import annotations

import base64
import json
import logging

import httpx
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from adapters.downloads import download, require_picture
from adapters.wecom.client import INVALID_TOKEN_CODES, WeComApi, WeComTransportError
from bot.runtime.ports import AttachmentError

log = logging.getLogger(__name__)

#: media/get's errcode for a MediaId that does not exist (or expired after 3 days).
UNKNOWN_MEDIA = 40007
#: WeCom pads to a multiple of 32 bytes (not AES's 16).
PAD_BLOCK = 32


class WeComMedia:
    """Fetches app media by MediaId and AI-bot pictures by URL (decrypted)."""

    def __init__(
        self,
        http: httpx.Client,
        api: WeComApi | None,
        aibot_aes_key: str | None,
        max_bytes: int,
        timeout: float,
    ) -> None:
        self._http = http
        self._api = api
        self._aibot_key = base64.b64decode(aibot_aes_key + "=") if aibot_aes_key else None
        self.max_bytes = max_bytes
        self.timeout = timeout

    def app_media(self, media_id: str) -> bytes:
        """The self-built app's file `media_id` (one token refresh when WeCom refuses it)."""
        if self._api is None:
            raise AttachmentError("unavailable", "no WeCom app credentials")
        try:
            token = self._api.token()
            got = self._media_get(media_id, token)
            if isinstance(got, int) and got in INVALID_TOKEN_CODES:
                self._api.invalidate(token)
                got = self._media_get(media_id, self._api.token())
        except WeComTransportError as exc:  # gettoken failed
            raise AttachmentError("unavailable", str(exc)) from None
        if isinstance(got, int):
            if got == UNKNOWN_MEDIA:
                raise AttachmentError("not_found", "media/get: unknown media_id")
            raise AttachmentError("unavailable", f"media/get errcode {got}")
        return got

    def _media_get(self, media_id: str, token: str) -> bytes | int:
        """The file, or WeCom's errcode when it answered JSON instead."""
        got = download(
            self._http,
            self._api.base + "/cgi-bin/media/get",  # type: ignore[union-attr]
            params={"access_token": token, "media_id": media_id},
            max_bytes=self.max_bytes,
            timeout=self.timeout,
        )
        if got.is_json:
            try:
                return int(json.loads(got.data).get("errcode") or -1)
            except (ValueError, AttributeError, TypeError):
                return -1
        return require_picture(got)

    def aibot_picture(self, url: str) -> bytes:
        """An AI-bot picture: downloaded from its URL and decrypted with the bot's key."""
        if self._aibot_key is None:
            raise AttachmentError("unavailable", "no AI-bot EncodingAESKey")
        if not url.startswith(("https://", "http://")):
            raise AttachmentError("not_found", "not a download URL")
        got = download(self._http, url, max_bytes=self.max_bytes + PAD_BLOCK, timeout=self.timeout)
        return decrypt_picture(got.data, self._aibot_key)


def decrypt_picture(data: bytes, key: bytes) -> bytes:
    """An AI-bot file decrypted (see the module docstring); `AttachmentError` when it is not
    ciphertext of this key (the length or the padding is wrong)."""
    if not data or len(data) % 16:
        raise AttachmentError("unavailable", "AI-bot file is not AES ciphertext")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    unpadder = padding.PKCS7(PAD_BLOCK * 8).unpadder()
    try:
        plain = decryptor.update(data) + decryptor.finalize()
        return unpadder.update(plain) + unpadder.finalize()
    except ValueError:
        raise AttachmentError("unavailable", "AI-bot file did not decrypt (wrong key?)") from None
