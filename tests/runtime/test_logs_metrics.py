"""Structured log lines (ids on every line, secrets blanked) and the metrics exposition."""

from __future__ import annotations

import io
import logging
import threading

from bot.runtime.logs import ContextFilter, KeyValueFormatter, bind_delivery, bound, request_id_var
from bot.runtime.metrics import Metrics, upstream_gauges


def _capture(secrets=()):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(KeyValueFormatter(secrets))
    logger = logging.getLogger(f"test.logs.{id(stream)}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, stream


def test_every_line_carries_the_ids_of_its_context():
    logger, stream = _capture()
    with bound(request_id_var, "req-1"), bind_delivery("telegram", "991"):
        logger.info("handling %s", "it")
    logger.info("outside")
    first, second = stream.getvalue().splitlines()
    assert "level=INFO" in first
    assert "request_id=req-1 delivery_id=telegram:991" in first
    assert 'msg="handling it"' in first
    assert "request_id=- delivery_id=-" in second


def test_ids_do_not_leak_between_threads():
    logger, stream = _capture()
    inside = threading.Event()
    done = threading.Event()

    def worker():
        with bind_delivery("feishu", "om_1"):
            inside.set()
            done.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    logger.info("main thread")
    done.set()
    thread.join()
    assert "delivery_id=-" in stream.getvalue()


def test_secrets_and_newlines_never_reach_a_line():
    logger, stream = _capture(secrets=["s3cr3t-appcode"])
    try:
        raise ValueError("bad AppCode s3cr3t-appcode\nsecond line")
    except ValueError:
        logger.exception("upstream failed with %s", "s3cr3t-appcode")
    text = stream.getvalue()
    assert "s3cr3t-appcode" not in text
    assert "***" in text
    assert len(text.splitlines()) == 1  # the traceback is escaped onto the same line


def test_metrics_exposition_format():
    metrics = Metrics()
    metrics.inc("inbound", platform="wecom")
    metrics.inc("inbound", platform="wecom")
    metrics.inc("send_failures", platform="feishu", reason="retry_after")
    gauges = {"kuaidi_outbox_lag_seconds": ("Lag.", [({}, 1.5)])}
    gauges.update(upstream_gauges({"calls": 3, "hit_ratio": 0.25, "name": "demo", "ok": True}))
    text = metrics.render(gauges)
    assert "# TYPE kuaidi_inbound_total counter\n" in text
    assert 'kuaidi_inbound_total{platform="wecom"} 2\n' in text
    assert 'kuaidi_send_failures_total{platform="feishu",reason="retry_after"} 1\n' in text
    assert "# TYPE kuaidi_outbox_lag_seconds gauge\nkuaidi_outbox_lag_seconds 1.5\n" in text
    assert "kuaidi_upstream_calls 3\n" in text
    assert "kuaidi_upstream_hit_ratio 0.25\n" in text
    assert "kuaidi_upstream_ok 1\n" in text
    assert "demo" not in text  # non-numbers are left out
