"""The shared door checks on their own: bounded JSON, freshness, strict base64."""

from __future__ import annotations

import base64

import pytest

from adapters.base import Rejected
from adapters.door import MAX_JSON_DEPTH, Freshness, load_json, strict_base64


def test_json_as_deep_as_allowed_is_read_one_level_more_is_refused():
    deep = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(deep) is not None
    with pytest.raises(Rejected) as refused:
        load_json("[" + deep + "]")
    assert (refused.value.status, refused.value.reason) == (400, "body nested too deeply")
    with pytest.raises(Rejected):
        load_json(b"{" + b'"a":{' * 100_000 + b"}" * 100_001)  # past the decoder's own limit


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe{}", b"NaN-ish", b'"\\ud800'])
def test_what_is_not_json_is_refused(raw):
    with pytest.raises(Rejected):
        load_json(raw)


def test_unstorable_characters_are_replaced_in_values_and_keys_one_for_one():
    value = load_json(r'{"t": "a\u0000b\ud800c", "k\udfff": ["\ud83d\ude00", 1], "n": null}')
    assert value == {"t": "a\ufffdb\ufffdc", "k\ufffd": ["\U0001f600", 1], "n": None}


def test_freshness_allows_the_window_and_refuses_beyond_it():
    fresh = Freshness(300, now=lambda: 1_767_225_600.0)
    for ok in ("1767225600", "1767225300", " 1767225900 "):
        fresh.check(ok)
    for stale in ("1767225299", "1767225901", "0", "", None, "1e9", "x"):
        with pytest.raises(Rejected) as refused:
            fresh.check(stale)
        assert refused.value.status == 403
    Freshness(0, now=lambda: 1_767_225_600.0).check("0")  # 0: the check is off


def test_strict_base64_takes_only_whole_canonical_blocks():
    good = base64.b64encode(bytes(32)).decode()
    assert strict_base64(good) == bytes(32)
    for bad in (good + "AAAA", good + "=", good[:-4], good + " ", "!" + good[1:], ""):
        with pytest.raises(Rejected):
            strict_base64(bad)
