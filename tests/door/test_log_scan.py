"""The session-wide log scan (tests/support/log_scan.py): every record, every secret, every
xdist worker."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

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


class _Session:
    """What the scan's session hook reads of a pytest session (config, exit status)."""

    def __init__(self, config) -> None:
        self.config = config
        self.exitstatus = pytest.ExitCode.OK


def test_an_xdist_worker_hands_its_scan_to_the_controller(monkeypatch):
    monkeypatch.setattr(log_scan, "FOUND", [])
    worker = SimpleNamespace(workeroutput={})
    log_scan.pytest_sessionfinish(_Session(worker))
    scan = worker.workeroutput["log_scan"]
    assert scan["records"] == len(log_scan.LOGS.records) and scan["found"] == []
    assert len(scan["secrets"]) == len(log_scan.SECRETS)
    assert not any(secret in scan["secrets"] for secret in log_scan.SECRETS)  # digests only


def test_a_workers_hit_or_missing_scan_fails_the_controllers_run(monkeypatch):
    monkeypatch.setattr(log_scan, "FOUND", [])
    monkeypatch.setattr(log_scan, "WORKERS", log_scan.WorkerScans())
    monkeypatch.setattr(log_scan, "SECRETS", {})  # the controller's own records are clean
    clean = {"records": 3, "secrets": ["d1"], "found": []}
    log_scan.pytest_testnodedown(SimpleNamespace(workeroutput={"log_scan": clean}), None)
    session = _Session(SimpleNamespace())
    log_scan.pytest_sessionfinish(session)
    assert session.exitstatus == pytest.ExitCode.OK

    hit = {"records": 5, "secrets": ["d1", "d2"], "found": [["wecom_secret", "adapters.wecom"]]}
    log_scan.pytest_testnodedown(SimpleNamespace(workeroutput={"log_scan": hit}), None)
    log_scan.pytest_sessionfinish(session)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    assert ("wecom_secret", "adapters.wecom") in log_scan.FOUND
    assert log_scan.WORKERS.records == 8 and log_scan.WORKERS.secrets == {"d1", "d2"}

    monkeypatch.setattr(log_scan, "WORKERS", log_scan.WorkerScans())
    crashed = SimpleNamespace(workeroutput={}, gateway=SimpleNamespace(id="gw3"))
    log_scan.pytest_testnodedown(crashed, RuntimeError("worker died"))
    session = _Session(SimpleNamespace())
    log_scan.pytest_sessionfinish(session)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    assert log_scan.WORKERS.unscanned == ["gw3"]
