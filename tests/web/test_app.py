"""The Flask app through its test client: webhook intake, errors, health and metrics."""

from __future__ import annotations

import json
import time

import pytest
from flask import Blueprint
from sqlalchemy import create_engine, func, select

from adapters.web import create_app
from bot.runtime.config import NO_THREADS, RuntimePorts
from bot.runtime.runtime import Runtime
from bot.runtime.schema import inbox
from bot.storage.db import Database
from tests.support.web import SECRET, answer, signed, update_body


def _inbox_rows(database) -> int:
    with database.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(inbox)).scalar()


def test_signed_delivery_is_accepted_and_a_duplicate_answered_once(
    client, runtime, database, platform_api
):
    body = update_body(101, "SF1234567890")
    first = client.post("/webhook/testing", data=body, headers=signed(body))
    again = client.post("/webhook/testing", data=body, headers=signed(body))
    assert (first.status_code, first.json) == (200, {"ok": True, "duplicate": False})
    assert (again.status_code, again.json) == (200, {"ok": True, "duplicate": True})
    assert _inbox_rows(database) == 1
    # Nothing was sent while answering the webhook.
    assert platform_api.sent_keys() == []
    runtime.process_pending()
    runtime.send_pending()
    assert [(s.text, s.idempotency_key) for s in platform_api.sends] == [
        ("re: SF1234567890", "testing:101:0")
    ]


@pytest.mark.parametrize(
    "make_headers",
    [
        pytest.param(lambda body: signed(body, secret="wrong-secret"), id="wrong-secret"),
        pytest.param(lambda body: signed(body, timestamp=int(time.time()) - 3600), id="stale"),
        pytest.param(lambda body: {"Content-Type": "application/json"}, id="unsigned"),
        pytest.param(
            lambda body: {**signed(body), "X-Test-Timestamp": "soon"}, id="bad-timestamp"
        ),
        pytest.param(lambda body: signed(body + b" "), id="body-changed"),
    ],
)
def test_forged_requests_leave_no_row(client, database, make_headers):
    body = update_body(7)
    response = client.post("/webhook/testing", data=body, headers=make_headers(body))
    assert response.status_code == 403
    assert response.json == {"error": "forbidden", "status": 403}
    assert _inbox_rows(database) == 0


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", json.dumps({"chat_id": "c1", "user_id": "u"}).encode()],
    ids=["not-json", "not-object", "no-update-id"],
)
def test_malformed_requests_leave_no_row(client, database, body):
    response = client.post("/webhook/testing", data=body, headers=signed(body))
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"
    assert _inbox_rows(database) == 0


def test_oversized_body_is_refused_with_413(client, database, settings):
    text = "x" * settings.max_request_bytes
    body = update_body(1, text)
    response = client.post("/webhook/testing", data=body, headers=signed(body))
    assert response.status_code == 413
    assert response.json == {"error": "request_entity_too_large", "status": 413}
    assert _inbox_rows(database) == 0


def test_unknown_route_and_wrong_method_answer_json(client):
    missing = client.get("/nope")
    assert (missing.status_code, missing.json) == (404, {"error": "not_found", "status": 404})
    wrong = client.get("/webhook/testing")
    assert wrong.status_code == 405
    assert wrong.json == {"error": "method_not_allowed", "status": 405}
    assert "POST" in wrong.headers["Allow"]


class ExplodingAdapter:
    """An adapter whose view fails with a message that must not reach the caller."""

    name = "exploding"

    def blueprint(self, inbox):
        bp = Blueprint("exploding", __name__)

        @bp.post("/webhook/exploding")
        def boom():
            raise RuntimeError("db password is hunter2")

        return bp


def test_internal_errors_answer_json_without_internals(runtime, settings):
    app = create_app(runtime, [ExplodingAdapter()], settings, lambda: True)
    response = app.test_client().post("/webhook/exploding", data=b"{}")
    assert response.status_code == 500
    assert response.json == {"error": "internal_error", "status": 500}
    assert b"hunter2" not in response.data
    assert b"Traceback" not in response.data


def test_healthz_and_readyz(runtime, adapter, settings):
    checks = {"config": True}
    app = create_app(runtime, [adapter], settings, lambda: dict(checks))
    web = app.test_client()
    assert web.get("/healthz").json == {"status": "ok"}
    ready = web.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": True, "config": True}
    checks["config"] = False
    not_ready = web.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json == {"status": "not_ready", "checks": {"database": True, "config": False}}


def test_readyz_fails_when_the_database_is_gone(adapter, settings, clock):
    gone = Database(create_engine("sqlite:////nonexistent-dir/kuaidi.sqlite3"))
    runtime = Runtime(RuntimePorts(gone, answer, {}, clock), NO_THREADS)
    web = create_app(runtime, [adapter], settings, lambda: True).test_client()
    response = web.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": False, "config": True}
    assert web.get("/healthz").status_code == 200


def test_metrics_in_prometheus_text(client, runtime, adapter, settings, clock):
    body = update_body(5)
    client.post("/webhook/testing", data=body, headers=signed(body))
    client.post("/webhook/testing", data=body, headers=signed(body))
    stats = {"calls": 7, "cache_hits": 3, "errors": {"quota": 1}}
    app = create_app(runtime, [adapter], settings, lambda: True, upstream_stats=lambda: stats)
    clock.advance(seconds=4)
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert 'kuaidi_inbound_total{platform="testing"} 1\n' in text
    assert 'kuaidi_duplicates_total{platform="testing"} 1\n' in text
    assert 'kuaidi_inbox_rows{status="pending"} 1\n' in text
    assert "kuaidi_inbox_lag_seconds 4\n" in text
    assert "kuaidi_upstream_calls 7\n" in text
    assert "kuaidi_upstream_cache_hits 3\n" in text
    assert 'kuaidi_upstream_errors{kind="quota"} 1\n' in text
    runtime.process_pending()
    clock.advance(seconds=3)
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert "kuaidi_outbox_lag_seconds 3\n" in text
    runtime.send_pending()
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'kuaidi_sent_total{platform="testing"} 1\n' in text
    assert "kuaidi_outbox_lag_seconds 0\n" in text


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == (
        "abc-123"
    )
    made = client.get("/healthz", headers={"X-Request-Id": "bad id; x"}).headers["X-Request-Id"]
    assert made != "bad id; x" and len(made) == 16


def test_secret_is_not_in_any_response(client):
    body = update_body(9)
    response = client.post("/webhook/testing", data=body, headers=signed(body, secret="x"))
    assert SECRET.encode() not in response.data
