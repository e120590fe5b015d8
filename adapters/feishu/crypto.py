"""Feishu webhook cryptography: AES-256-CBC decryption and the `X-Lark-Signature` check.

Feishu encrypts event bodies with `key = sha256(EncryptKey)` and a random IV prepended to the
ciphertext, and signs the raw request bytes (not re-serialised JSON) with SHA-256 over
`timestamp + nonce + encrypt_key + body`. Both are a few lines with `cryptography`, so the
webhook path needs no platform SDK.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 16


class DecryptError(ValueError):
    """The `encrypt` field is not valid base64 AES-CBC ciphertext under our key."""


def decrypt(encrypt_key: str, encrypted: str) -> bytes:
    """Decrypt a Feishu `encrypt` field to its plaintext bytes (usually JSON)."""
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise DecryptError("encrypt field is not base64") from exc
    # IV plus at least one block, whole blocks only: anything else is truncated or forged.
    if len(raw) < 2 * _BLOCK or len(raw) % _BLOCK:
        raise DecryptError("ciphertext has a bad length")
    key = hashlib.sha256(encrypt_key.encode("utf-8")).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(raw[:_BLOCK])).decryptor()
    padded = decryptor.update(raw[_BLOCK:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise DecryptError("bad padding (wrong key or corrupted ciphertext)") from exc


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """The hex signature Feishu puts in `X-Lark-Signature` for this raw body."""
    prefix = (timestamp + nonce + encrypt_key).encode("utf-8")
    return hashlib.sha256(prefix + body).hexdigest()


def signature_valid(timestamp: str, nonce: str, encrypt_key: str, body: bytes, given: str) -> bool:
    """Whether `given` is the body's signature; compared in constant time."""
    expected = signature(timestamp, nonce, encrypt_key, body)
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8"))
