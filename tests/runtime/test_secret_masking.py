"""One masker for every log path: any logger, any handler, error texts and tracebacks."""

from __future__ import annotations

import io
import logging
import re

from bot.masking import SecretMasker, mask, register_pattern, register_secret
from bot.runtime.logs import KeyValueFormatter


def test_a_secret_is_masked_in_records_of_a_logger_nobody_listed(caplog):
    register_secret("mask-me-7f3a")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("some.library.nobody.knew").debug("GET /x?t=%s", "mask-me-7f3a")
    assert "mask-me-7f3a" not in caplog.text and "GET /x?t=***" in caplog.text
    assert all("mask-me-7f3a" not in r.getMessage() for r in caplog.records)


def test_each_secret_keeps_its_label_and_patterns_cover_changing_secrets():
    register_secret("bot123:TOKEN-xyz", "<token>")
    register_pattern(re.compile(r"(masking_test_param=)\w+"), r"\1***")
    text = mask("https://api/bot123:TOKEN-xyz/send?masking_test_param=abc123&x=1")
    assert text == "https://api/<token>/send?masking_test_param=***&x=1"


def test_the_longest_secret_is_masked_whole():
    masker = SecretMasker()
    masker.add("abcd")
    masker.add("abcdefgh")
    assert masker.mask("abcdefgh abcd") == "*** ***"


def test_short_values_are_not_masked():
    masker = SecretMasker()
    masker.add("abc")
    masker.add(None)
    assert not masker.active and masker.mask("abc") == "abc"


def test_the_formatter_masks_tracebacks_too():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter(["trace-secret-91"]))
    logger = logging.getLogger("test.masking.traceback")
    logger.addHandler(handler)
    try:
        raise ValueError("failed with trace-secret-91")
    except ValueError:
        logger.error("boom", exc_info=True)
    finally:
        logger.removeHandler(handler)
    assert "trace-secret-91" not in stream.getvalue() and "***" in stream.getvalue()
