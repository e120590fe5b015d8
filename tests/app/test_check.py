"""`kuaidi-bot check`, and the refusal of `run`/`console` to start on a refused AppCode: one
clear line per broken part, a non-zero exit, never a traceback."""

from __future__ import annotations

import io
import socket

import pytest

from adapters.cli import main
from tests.fakes.kuaidi100_server import FakeKuaidi100
from tests.fakes.upstream_server import FakeUpstream
from tests.feishu.support import FakeFeishu
from tests.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.wecom.support import CORP_ID, FakeWeCom

#: Every setting the tests may set; cleared first so the developer's environment cannot leak in.
KEYS = [
    "KUAIDI_APPCODE",
    "KUAIDI_API_BASE",
    "DATABASE_URL",
    "REDIS_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE",
    "WECOM_CORP_ID",
    "WECOM_SECRET",
    "WECOM_TOKEN",
    "WECOM_ENCODING_AES_KEY",
    "WECOM_API_BASE",
    "FEISHU_APP_ID",
    "FEISHU_APP_SECRET",
    "FEISHU_API_BASE",
    "KUAIDI_ENV_FILE",
    "KUAIDI_RETRIES",
    "LOG_FILE",
    "KUAIDI_PROVIDERS",
    "KUAIDI100_KEY",
    "KUAIDI100_CUSTOMER",
    "KUAIDI100_API_BASE",
]


# The secrets below are registered with the log masker for the rest of the run (it is
# process-wide), so each is a string no other test's text contains.


@pytest.fixture
def env(monkeypatch, tmp_path):
    """Set environment variables for `main`, starting from none, in an empty folder."""
    monkeypatch.chdir(tmp_path)
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))

    def put(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return put


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_check(capsys) -> tuple[int, list[str], str]:
    status = main(["check"])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def assert_one_failure(lines: list[str], err: str, start: str) -> None:
    failures = [line for line in lines if line.startswith("FAIL")]
    assert len(failures) == 1, lines
    assert failures[0].startswith(f"FAIL {start}"), failures
    assert "Traceback" not in err and "Traceback" not in "\n".join(lines)


def test_unreachable_upstream_fails(env, capsys):
    env(
        KUAIDI_APPCODE="appcode-for-a-dead-port-0c3d",
        KUAIDI_API_BASE=f"http://127.0.0.1:{closed_port()}",
    )
    status, lines, err = run_check(capsys)
    assert status != 0
    assert_one_failure(lines, err, "upstream unreachable")
    assert "KUAIDI_API_BASE" in lines[0] and "appcode-for-a-dead-port-0c3d" not in lines[0]


def test_refused_appcode_fails_and_run_and_console_refuse_to_start(env, capsys, monkeypatch):
    with FakeUpstream() as upstream:
        env(KUAIDI_APPCODE="appcode-the-api-refuses-8d2b", KUAIDI_API_BASE=upstream.url)
        status, lines, err = run_check(capsys)
        assert status != 0
        assert_one_failure(lines, err, "upstream refused the AppCode")
        line = lines[0].removeprefix("FAIL ").split(" (request id")[0]  # ids differ per call
        for command in ("console", "run"):  # run with no platform opens the console
            monkeypatch.setattr("sys.stdin", io.StringIO("SF1524097970481\n"))
            assert main([command]) == 2
            captured = capsys.readouterr()
            assert any(said.startswith(line) for said in captured.err.splitlines())
            assert "你>" not in captured.out  # no chat was opened
        env(KUAIDI_APPCODE=upstream.appcode)
        status, lines, _err = run_check(capsys)
    assert status == 0 and lines[-1].startswith("ok")


def test_a_refused_second_provider_is_not_hidden_by_fail_over(env, capsys):
    with FakeUpstream() as upstream, FakeKuaidi100() as k100:
        env(
            KUAIDI_APPCODE=upstream.appcode,
            KUAIDI_API_BASE=upstream.url,
            KUAIDI_PROVIDERS="aliyun,kuaidi100",
            KUAIDI100_KEY="k100-key-the-api-refuses-5e1a",
            KUAIDI100_CUSTOMER=k100.customer,
            KUAIDI100_API_BASE=k100.url,
        )
        status, lines, err = run_check(capsys)
        assert status != 0
        assert_one_failure(lines, err, "upstream refused the AppCode")
        assert "KUAIDI100_KEY" in lines[0] and "k100-key-the-api-refuses-5e1a" not in lines[0]
        env(KUAIDI100_KEY=k100.key)
        status, lines, _err = run_check(capsys)
    assert status == 0 and lines[-1].startswith("ok")


def test_unreachable_database_fails_in_one_line(env, capsys):
    env(DATABASE_URL=f"postgresql://postgres:hunter2@127.0.0.1:{closed_port()}/test")
    status, lines, err = run_check(capsys)
    assert status != 0
    assert_one_failure(lines, err, "database unreachable")
    assert "hunter2" not in lines[0] and "DATABASE_URL" in lines[0]
    assert len(lines) == 1 and len(err.splitlines()) <= 1


def test_refused_telegram_token_fails(env, capsys):
    with FakeBotApi({"id": 1, "is_bot": True, "first_name": "b", "username": "b"}) as api:
        env(TELEGRAM_BOT_TOKEN="999:not-the-token-9c4f2", TELEGRAM_API_BASE=api.base)
        status, lines, err = run_check(capsys)
        assert status != 0
        assert_one_failure(lines, err, "Telegram refused TELEGRAM_BOT_TOKEN")
        assert "not-the-token-9c4f2" not in "\n".join(lines)
        env(TELEGRAM_BOT_TOKEN=TOKEN)
        status, lines, _err = run_check(capsys)
    assert status == 0, lines


def test_refused_wecom_secret_fails(env, capsys):
    fake = FakeWeCom().start()
    try:
        env(
            WECOM_CORP_ID=CORP_ID,
            WECOM_SECRET="wecom-secret-not-valid-3b8e1",
            WECOM_TOKEN="wecom-callback-token-5d20c",
            WECOM_ENCODING_AES_KEY="k" * 43,
            WECOM_API_BASE=fake.base,
        )
        status, lines, err = run_check(capsys)
        assert status != 0
        assert_one_failure(lines, err, "WeCom refused WECOM_CORP_ID / WECOM_SECRET")
        assert "wecom-secret-not-valid-3b8e1" not in lines[0] and "40001" in lines[0]
        env(WECOM_SECRET=fake.secret)
        status, lines, _err = run_check(capsys)
        assert status == 0, lines
    finally:
        fake.close()


def test_refused_feishu_secret_fails(env, capsys):
    fake = FakeFeishu().start()
    try:
        env(
            FEISHU_APP_ID="cli_test",
            FEISHU_APP_SECRET="feishu-secret-not-valid-7e1a",
            FEISHU_API_BASE=fake.base,
        )
        status, lines, err = run_check(capsys)
        assert status != 0
        assert_one_failure(lines, err, "Feishu refused FEISHU_APP_ID / FEISHU_APP_SECRET")
        assert "app secret invalid" in lines[0]
        env(FEISHU_APP_SECRET="app-secret")
        status, lines, _err = run_check(capsys)
        assert status == 0, lines
    finally:
        fake.close()


def test_every_broken_part_gets_its_own_line(env, capsys):
    env(
        KUAIDI_APPCODE="appcode-for-a-dead-port-51f0",
        KUAIDI_API_BASE=f"http://127.0.0.1:{closed_port()}",
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:{closed_port()}/test",
    )
    status, lines, _err = run_check(capsys)
    assert status != 0
    assert [line.split(":")[0] for line in lines] == [
        "FAIL database unreachable",
        "FAIL upstream unreachable",
    ]


def test_console_keeps_log_lines_out_of_the_chat(env, capsys, monkeypatch, tmp_path):
    env(
        KUAIDI_APPCODE="appcode-for-a-dead-port-0c3d",
        KUAIDI_API_BASE=f"http://127.0.0.1:{closed_port()}",
        KUAIDI_RETRIES="1",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("YT1234567890123\n"))
    assert main(["console"]) == 0
    captured = capsys.readouterr()
    assert "YT1234567890123" in captured.out and "稍后再试" in captured.out
    assert "level=" not in captured.out and "level=" not in captured.err
    log_file = tmp_path / "data" / "console.log"
    assert str(log_file) in captured.out  # the banner says where the logs are
    assert "level=WARNING" in log_file.read_text(encoding="utf-8")  # the retry was logged


def test_named_env_file_is_read_from_anywhere_and_its_data_dir_is_beside_it(
    env, capsys, monkeypatch, tmp_path
):
    home = tmp_path / "srv"
    home.mkdir()
    (home / ".env").write_text("DATA_DIR=state\n", encoding="utf-8")
    monkeypatch.delenv("DATA_DIR")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["--env-file", str(home / ".env"), "check"]) == 0
    assert (home / "state" / "kuaidi-bot.sqlite3").exists()
    monkeypatch.setenv("KUAIDI_ENV_FILE", str(home / ".env"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["console"]) == 0
    said = capsys.readouterr().err
    assert f"settings from {home / '.env'}" in said and str(home / "state") in said
    assert not (elsewhere / "data").exists() and not (elsewhere / "state").exists()


def test_a_named_env_file_that_is_missing_stops_everything(env, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("KUAIDI_ENV_FILE", str(tmp_path / "nope.env"))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "env file not found" in err
    assert not (tmp_path / "data").exists()


def test_poll_once_prints_one_readable_line(env, capsys):
    assert main(["poll", "--once"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["polled 0 number(s): 0 changed, 0 push(es) queued for sending"]
