"""The AppCode never appears in logs (any logger, DEBUG) or in exception texts."""

from __future__ import annotations

import logging
import traceback

import pytest

from bot.upstream import CachedProvider, MemoryResultCache, UpstreamError

N = "ZT1000000000001"


def _scenarios(server, appcode: str) -> None:
    """Script one number per failure mode, including answers that echo the AppCode."""
    server.set_track("ok1", 2, [("2026-01-01 08:00:00", "在途")])
    server.set_failure("refused", f"无权限 {appcode}")
    server.set_quota_exhausted("quota")
    server.set_throttled("throttled")
    server.set_gateway_error("echo", 400, f"Invalid AppCode `{appcode}`")
    server.set_gateway_error("unavail", 503, f"Service Unavailable for {appcode}")
    server.set_malformed("garbage", f"<html>{appcode}</html>")
    server.set_response("slow", delay=0.4, body={"ok": 1})


def test_appcode_never_logged_or_raised(fake_upstream, make_client, caplog):
    appcode = fake_upstream.appcode
    caplog.set_level(logging.DEBUG)  # root: catches httpx and httpcore debug lines too
    client = make_client(kuaidi_timeout=0.15, kuaidi_retries=1)
    provider = CachedProvider(client, MemoryResultCache(60))
    _scenarios(fake_upstream, appcode)
    errors: list[UpstreamError] = []
    for number in ("ok1", "refused", "quota", "throttled", "echo", "unavail", "garbage", "slow"):
        try:
            provider.track(number, "zhongtong", "1234")
        except UpstreamError as exc:
            errors.append(exc)
    fake_upstream.stop()
    with pytest.raises(UpstreamError) as refused:
        client.track(N)
    errors.append(refused.value)

    assert len(errors) == 8  # every scenario but the success failed, plus the dead server
    assert fake_upstream.requests[0].headers["authorization"] == f"APPCODE {appcode}"
    for error in errors:
        text = "".join(traceback.format_exception(error)) + repr(error) + str(error.args)
        assert appcode not in text
    assert any("***" in str(e) for e in errors)  # the echoed AppCode was masked, not dropped
    logged = caplog.text + "".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # DEBUG really captured
    assert appcode not in logged
    assert appcode not in repr(client) + str(client.stats)
