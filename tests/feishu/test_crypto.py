"""Feishu webhook crypto against the official and project vectors."""

from __future__ import annotations

import json

import pytest

from adapters.feishu.crypto import DecryptError, decrypt, signature, signature_valid
from tests.feishu.support import VECTORS, encrypt

EVENT = VECTORS["event"]


def test_official_decrypt_vector():
    vector = VECTORS["official_decrypt"]
    assert decrypt(vector["encrypt_key"], vector["encrypt"]) == b"hello world"


def test_event_vector_decrypts_to_its_plaintext():
    encrypted = json.loads(EVENT["raw_body"])["encrypt"]
    assert json.loads(decrypt("test key", encrypted)) == EVENT["plaintext"]


def test_encrypt_helper_reproduces_the_vector_ciphertext():
    # Same key and IV as the vector: proves the test helper encrypts exactly as Feishu does.
    body = json.loads(EVENT["raw_body"])["encrypt"]
    plaintext = decrypt("test key", body)
    assert encrypt("test key", plaintext, bytes.fromhex(VECTORS["iv_hex"])) == body


def test_signature_vector_over_raw_bytes():
    headers = EVENT["headers"]
    raw = EVENT["raw_body"].encode()
    ts, nonce = headers["X-Lark-Request-Timestamp"], headers["X-Lark-Request-Nonce"]
    assert signature(ts, nonce, "test key", raw) == headers["X-Lark-Signature"]
    assert signature_valid(ts, nonce, "test key", raw, headers["X-Lark-Signature"])
    # Re-serialised JSON is a different byte string and must not verify.
    reserialised = json.dumps(json.loads(raw)).encode()
    assert not signature_valid(ts, nonce, "test key", reserialised, headers["X-Lark-Signature"])
    assert not signature_valid(ts, nonce, "other key", raw, headers["X-Lark-Signature"])


@pytest.mark.parametrize(
    "encrypted",
    [
        VECTORS["official_decrypt"]["encrypt"][:-8],  # truncated
        "AAECAwQFBgcICQoLDA0ODw==",  # IV only
        "not base64 at all!",
        "",
    ],
)
def test_malformed_ciphertext_raises_decrypt_error(encrypted):
    with pytest.raises(DecryptError):
        decrypt("test key", encrypted)


def test_wrong_key_is_a_decrypt_error():
    with pytest.raises(DecryptError):
        decrypt("wrong key", VECTORS["official_decrypt"]["encrypt"])
