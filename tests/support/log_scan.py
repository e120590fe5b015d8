"""The whole test session's logs, scanned for secrets: a hit fails the run.

A handler on the root logger keeps every record the suite's code emits (at INFO and above, the
production default, and lower where a test asks for it), message and traceback alike, as the
records leave the masker. At the end of the session each secret any `Settings` of the session
held (bot tokens, webhook secrets, AppCodes, AES and Encrypt keys, app secrets, robot keys),
and those of the official test vectors, is looked for in them. A hit fails the session and
names the secret's setting and the logger, never the value. Under pytest-xdist (`-n`), each
worker scans its own records and the controller adds up the workers' outcomes.

The hooks are imported by tests/conftest.py.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import Settings

#: Shorter values occur in ordinary text by chance ("1234"); none of our secrets is that short.
MIN_SECRET = 8
VECTORS = Path(__file__).resolve().parents[1] / "data/vectors"


class SessionLogs(logging.Handler):
    """Keeps (logger, text) of every record it is handed."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[tuple[str, str]] = []
        self._traceback = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record with bad args still has its template
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + self._traceback.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        self.records.append((record.name, text))


LOGS = SessionLogs()
SECRETS: dict[str, str] = {}  # value -> where it came from
FOUND: list[tuple[str, str]] = []


def remember_secret(value: str | None, source: str) -> None:
    """Scan the session's logs for `value` at the end."""
    if value and len(value.strip()) >= MIN_SECRET:
        SECRETS.setdefault(value.strip(), source)


def _remember_settings_secrets(settings: Settings) -> None:
    for name, value in settings:
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            remember_secret(secret, name)
            if name == "wecom_group_robots":  # "chatid=key,…": each key on its own
                for pair in secret.split(","):
                    remember_secret(pair.partition("=")[2], name)


def _remember_vector_secrets() -> None:
    telegram = json.loads((VECTORS / "telegram.json").read_text(encoding="utf-8"))
    wecom = json.loads((VECTORS / "wecom.json").read_text(encoding="utf-8"))
    feishu = json.loads((VECTORS / "feishu.json").read_text(encoding="utf-8"))
    remember_secret(telegram["secret_token"], "telegram vector secret_token")
    remember_secret(wecom["token"], "wecom vector token")
    remember_secret(wecom["encoding_aes_key"], "wecom vector encoding_aes_key")
    remember_secret(feishu["encrypt_key"], "feishu vector encrypt_key")
    remember_secret(feishu["verification_token"], "feishu vector verification_token")


def pytest_configure(config: pytest.Config) -> None:
    """Start keeping records; learn the secrets of every `Settings` made from now on."""
    root = logging.getLogger()
    root.addHandler(LOGS)
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
    _remember_vector_secrets()
    original = Settings.__init__

    def recording_init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        _remember_settings_secrets(self)

    Settings.__init__ = recording_init  # type: ignore[method-assign]


def hits() -> list[tuple[str, str]]:
    """(secret's source, logger) for each secret found in the session's records."""
    return find(LOGS.records, SECRETS)


def find(records: list[tuple[str, str]], secrets: dict[str, str]) -> list[tuple[str, str]]:
    """(secret's source, logger) for each of `secrets` found in `records` (logger, text)."""
    starts, offset = [], 0
    for _, text in records:
        starts.append(offset)
        offset += len(text) + 1
    everything = "\x00".join(text for _, text in records)  # one search per secret
    found = []
    for secret, source in secrets.items():
        at = everything.find(secret)
        if at >= 0:
            found.append((source, records[bisect.bisect_right(starts, at) - 1][0]))
    return found


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the session when any kept record holds a secret.

    Under pytest-xdist each worker scans its own records and hands the outcome to the
    controller (`pytest_testnodedown`), which fails the run for any worker's hit."""
    FOUND[:] = hits()
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: report to the controller
        config.workeroutput["log_scan"] = {
            "records": len(LOGS.records),
            "secrets": sorted(_digest(secret) for secret in SECRETS),
            "found": FOUND[:],
        }
        return
    FOUND.extend(tuple(hit) for hit in WORKERS.found)
    if FOUND or WORKERS.unscanned:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _digest(secret: str) -> str:
    """What identifies a secret between processes without sending its value."""
    return hashlib.sha256(secret.encode()).hexdigest()


class WorkerScans:
    """The controller's sum of its workers' scans."""

    def __init__(self) -> None:
        self.records = 0
        self.secrets: set[str] = set()
        self.found: list[tuple[str, str]] = []
        self.unscanned: list[str] = []


WORKERS = WorkerScans()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """(xdist controller) Add a finished worker's scan; a worker that sent none is a failure,
    since its records were never looked at."""
    scan = getattr(node, "workeroutput", {}).get("log_scan")
    if scan is None:
        WORKERS.unscanned.append(str(getattr(node, "gateway", node).id))
        return
    WORKERS.records += scan["records"]
    WORKERS.secrets.update(scan["secrets"])
    WORKERS.found.extend(tuple(hit) for hit in scan["found"])


def pytest_terminal_summary(terminalreporter) -> None:
    """Say what was scanned, and where each secret was found."""
    found = FOUND
    records = len(LOGS.records) + WORKERS.records
    secrets = WORKERS.secrets | {_digest(secret) for secret in SECRETS}
    bad = bool(found or WORKERS.unscanned)
    terminalreporter.section("secrets in logs", red=bad, green=not bad)
    terminalreporter.write_line(
        f"{records} log records scanned for {len(secrets)} configured secrets: "
        f"{len(found)} found"
    )
    for source, logger in found:
        terminalreporter.write_line(f"  the value of {source} was logged by {logger}", red=True)
    for worker in WORKERS.unscanned:
        terminalreporter.write_line(f"  worker {worker} ended without scanning its logs", red=True)
