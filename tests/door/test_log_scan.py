"""The session-wide log scan (tests/support/log_scan.py): every record, every secret."""

from __future__ import annotations

import logging

from bot.settings import Settings
from tests.support import log_scan


def test_every_settings_secret_is_looked_for():
    Settings(
        _env_file=None,
        feishu_encrypt_key="scan-me-encrypt-key",
        wecom_group_robots="g=k1-robot-key,h=k2-robot-key",
    )
    assert log_scan.SECRETS["scan-me-encrypt-key"] == "feishu_encrypt_key"
    assert (
        log_scan.SECRETS["k1-robot-key"]
        == log_scan.SECRETS["k2-robot-key"]
        == "wecom_group_robots"
    )


def test_records_of_any_logger_are_kept_tracebacks_included():
    assert log_scan.LOGS in logging.getLogger().handlers
    try:
        raise ValueError("kept-in-traceback-61")
    except ValueError:
        logging.getLogger("some.library").warning("failed", exc_info=True)
    logger, text = log_scan.LOGS.records[-1]
    assert logger == "some.library" and "kept-in-traceback-61" in text


def test_a_secret_in_any_record_is_found_and_named_without_its_value():
    records = [("a", "nothing here"), ("b.c", "url=/bot123:secret-tok/send"), ("d", "x")]
    secrets = {"123:secret-tok": "telegram_bot_token", "absent-secret": "wecom_secret"}
    assert log_scan.find(records, secrets) == [("telegram_bot_token", "b.c")]
    assert log_scan.find([], secrets) == []
