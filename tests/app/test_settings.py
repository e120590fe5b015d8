"""The settings contract: every key documented, empty values ignored, secrets hidden."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_every_setting_is_documented_in_env_example():
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", EXAMPLE.read_text(encoding="utf-8"), re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_the_example_file_as_is_gives_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings()
    assert settings.demo and not settings.any_platform
    assert settings.kuaidi_daily_budget is None and settings.kuaidi_poll_min_interval == 900
    assert settings.db_url.startswith("sqlite:///")


def test_secrets_do_not_print():
    settings = Settings(_env_file=None, kuaidi_appcode="a" * 32, telegram_bot_token="1:abc")
    assert "a" * 32 not in repr(settings) and "1:abc" not in str(settings.model_dump())
