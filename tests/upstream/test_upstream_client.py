"""ApiClient against the fake API server: requests, error mapping, retries, timeouts."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.tracking import Status
from bot.upstream import (
    ApiClient,
    BadResponse,
    BusinessError,
    ConfigurationError,
    InvalidNumber,
    NotConfigured,
    PhoneRequired,
    QuotaExhausted,
    Throttled,
    UpstreamUnavailable,
)
from bot.upstream.client import ThreadClients
from tests.fakes.upstream_server import FakeResponse

N = "78627000000758"


def test_track_sends_documented_request_and_parses_answer(fake_upstream, client):
    fake_upstream.set_track(
        N, 3, [("2022-10-27 19:18:40", "派送中"), ("2022-10-27 08:00", "揽收")]
    )
    result = client.track(N)
    (request,) = fake_upstream.requests
    assert request.path == "/query"
    assert request.query == {"kddh": N}  # no code or tel unless given
    assert request.headers["authorization"] == f"APPCODE {fake_upstream.appcode}"
    assert result.status is Status.OUT_FOR_DELIVERY
    assert [e.text for e in result.events] == ["派送中", "揽收"]
    assert (result.carrier_code, result.carrier_name) == ("", "中通快递")
    assert client.stats["upstream_calls"] == 1
    assert client.stats["billed_calls"] == 1
    assert client.stats["upstream_calls_today"] == 1


def test_code_and_tel_are_sent_when_given(fake_upstream, client):
    result = client.track("SF1234567890123", "shunfeng", "1234")
    assert fake_upstream.requests[0].query == {
        "kddh": "SF1234567890123",
        "code": "shunfeng",
        "tel": "1234",
    }
    assert result.carrier_code == "shunfeng"


@pytest.mark.parametrize(("ok", "status"), [("1", "4"), (1, 4), (" 1 ", "4.0")])
def test_ok_and_status_coerced_from_strings(fake_upstream, client, ok, status):
    body = {"ok": ok, "msg": "查询成功", "status": status, "kdmc": "圆通", "data": []}
    fake_upstream.set_response(N, 200, body)
    assert client.track(N).status is Status.DELIVERED


def test_no_record_yet_is_a_normal_result(fake_upstream, client):
    fake_upstream.set_track(N, "1", [])
    result = client.track(N)
    assert result.status is Status.NO_RECORD and result.events == ()


@pytest.mark.parametrize(
    ("msg", "error"),
    [
        ("顺丰单号需要手机尾号", PhoneRequired),
        ("快递单号格式不正确", InvalidNumber),
        ("请传入快递单号【kddh字段】", BusinessError),
    ],
)
def test_666_maps_to_business_errors_without_retry(fake_upstream, client, msg, error):
    fake_upstream.set_failure(N, msg)
    with pytest.raises(error) as caught:
        client.track(N)
    assert type(caught.value) is error
    assert caught.value.msg == msg
    assert caught.value.request_id == fake_upstream.requests[0].request_id
    assert len(fake_upstream.requests) == 1
    assert client.stats[f"errors_{error.kind}"] == 1
    assert client.stats["billed_calls"] == 0


def test_200_with_ok_zero_is_a_business_error(fake_upstream, client):
    fake_upstream.set_response(N, 200, {"ok": "0", "msg": "单号不正确", "data": None})
    with pytest.raises(InvalidNumber):
        client.track(N)


def test_failure_with_code_is_retried_once_without_it(fake_upstream, client):
    def answer(request):
        if "code" in request.query:
            return FakeResponse(666, {"ok": 0, "msg": "快递公司编码错误", "data": []})
        return None  # fall through to the default success

    fake_upstream.set_handler(N, answer)
    result = client.track(N, "jtexpress")
    assert [r.query.get("code") for r in fake_upstream.requests] == ["jtexpress", None]
    assert result.status is Status.IN_TRANSIT
    assert result.carrier_code == ""  # the vendor chose the carrier, not our code


def test_no_retry_without_code_when_the_deadline_leaves_no_room(fake_upstream, client, mocker):
    # Any time left counts as too little: the refusal itself is the answer, not a second call.
    mocker.patch("bot.upstream.client._MIN_ATTEMPT", 1e9)
    fake_upstream.set_failure(N, "快递公司编码错误")
    with pytest.raises(BusinessError, match="快递公司编码错误"):
        client.track(N, "jtexpress")
    assert [r.query.get("code") for r in fake_upstream.requests] == ["jtexpress"]


def test_failure_without_code_is_not_retried_and_second_failure_is_raised(fake_upstream, client):
    fake_upstream.set_failure(N, "查询失败")
    with pytest.raises(BusinessError):
        client.track(N, "zhongtong")
    assert len(fake_upstream.requests) == 2
    with pytest.raises(BusinessError):
        client.track(N)
    assert len(fake_upstream.requests) == 3


@pytest.mark.parametrize(
    "message",
    ["Quota Exhausted", "Api Market Subscription quota exhausted", "Quota Expired"],
)
def test_quota_messages_raise_quota_exhausted_without_retry(fake_upstream, client, message):
    fake_upstream.set_quota_exhausted(N, message)
    with pytest.raises(QuotaExhausted) as caught:
        client.track(N)
    assert caught.value.user_message_key == "quota"
    assert message in str(caught.value)
    assert fake_upstream.requests[0].request_id in str(caught.value)
    assert len(fake_upstream.requests) == 1


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "Invalid AppCode `not exists`"),
        (403, "Unauthorized"),
        (400, "Invalid Url"),
        (404, "API not found"),
        (400, "Invalid Domain"),
        (404, ""),
        (401, ""),
    ],
)
def test_auth_and_path_errors_are_configuration_errors(fake_upstream, client, status, message):
    fake_upstream.set_gateway_error(N, status, message)
    with pytest.raises(ConfigurationError) as caught:
        client.track(N)
    assert caught.value.user_message_key == "config"
    assert len(fake_upstream.requests) == 1


def test_wrong_appcode_and_wrong_path_against_the_gateway(fake_upstream, make_client):
    with pytest.raises(ConfigurationError, match="Invalid AppCode"):
        make_client(kuaidi_appcode="wrong-appcode-value").track(N)
    with pytest.raises(ConfigurationError, match="Invalid Url"):
        make_client(kuaidi_track_path="/nope").track(N)


@pytest.mark.parametrize(
    ("status", "message"), [(403, "Throttled by APP Flow Control"), (429, "")]
)
def test_throttling_retried_then_succeeds(fake_upstream, client, status, message):
    fake_upstream.set_gateway_error(N, status, message, once=True)
    fake_upstream.set_gateway_error(N, status, message, once=True)
    assert client.track(N).status is Status.IN_TRANSIT
    assert len(fake_upstream.requests) == 3
    assert client.stats["retries"] == 2


def test_throttling_that_persists_raises_throttled(fake_upstream, client):
    fake_upstream.set_throttled(N)
    with pytest.raises(Throttled):
        client.track(N)
    assert len(fake_upstream.requests) == 3  # kuaidi_retries=2 → 3 attempts
    assert client.stats["errors_throttled"] == 1


def test_retry_after_header_is_honoured(fake_upstream, make_client):
    delays: list[float] = []
    client = make_client(sleep=delays.append)
    fake_upstream.set_gateway_error(N, 429, "", once=True, **{"Retry-After": "3"})
    client.track(N)
    assert delays == [pytest.approx(3.0)]


@pytest.mark.parametrize(
    ("status", "message"),
    [(504, "Async Service"), (500, "Internal Error"), (503, "Service Unavailable"), (502, "")],
)
def test_server_errors_retried_with_backoff_then_succeed(
    fake_upstream, make_client, status, message
):
    delays: list[float] = []
    client = make_client(sleep=delays.append, backoff=0.5)
    fake_upstream.set_gateway_error(N, status, message, once=True)
    fake_upstream.set_gateway_error(N, status, message, once=True)
    assert client.track(N).status is Status.IN_TRANSIT
    assert len(fake_upstream.requests) == 3
    assert 0.5 <= delays[0] <= 0.625 and 1.0 <= delays[1] <= 1.25  # doubling, 0–25 % jitter


def test_persistent_504_raises_unavailable(fake_upstream, client):
    fake_upstream.set_gateway_error(N, 504, "Async Service")
    with pytest.raises(UpstreamUnavailable) as caught:
        client.track(N)
    assert type(caught.value) is UpstreamUnavailable
    assert caught.value.user_message_key == "unavailable"
    assert len(fake_upstream.requests) == 3


def test_timeouts_retried_then_unavailable(fake_upstream, make_client):
    client = make_client(kuaidi_timeout=0.2, kuaidi_retries=1)
    fake_upstream.set_response(N, delay=0.6, body={"ok": 1, "status": 2, "data": []})
    with pytest.raises(UpstreamUnavailable, match="timed out"):
        client.track(N)
    assert len(fake_upstream.requests) == 2


def test_slow_first_answer_then_fast_one_succeeds(fake_upstream, make_client):
    client = make_client(kuaidi_timeout=0.2)
    fake_upstream.push_response(N, delay=0.6, body={"ok": 1, "status": 4, "data": []})
    fake_upstream.set_track(N, 4, [])
    assert client.track(N).status is Status.DELIVERED
    assert len(fake_upstream.requests) == 2


def test_connection_refused_is_unavailable(make_client, fake_upstream):
    client = make_client(kuaidi_retries=0)
    fake_upstream.stop()
    with pytest.raises(UpstreamUnavailable, match="network error"):
        client.track(N)


@pytest.mark.parametrize(
    "body", ['{"ok": 1, "data": [', "<html>502</html>", "[1, 2]", b"\xff\xfe"]
)
def test_malformed_json_is_bad_response_not_retried(fake_upstream, client, body):
    fake_upstream.set_malformed(N, body)
    with pytest.raises(BadResponse) as caught:
        client.track(N)
    assert isinstance(caught.value, UpstreamUnavailable)
    assert len(fake_upstream.requests) == 1  # a 200 is billed: never pay twice for garbage
    assert client.stats["errors_bad_response"] == 1


def test_request_id_is_logged(fake_upstream, client, caplog):
    caplog.set_level(logging.INFO, logger="bot.upstream")
    client.track(N)
    request_id = fake_upstream.requests[0].request_id
    assert any(r.name == "bot.upstream" and request_id in r.getMessage() for r in caplog.records)


def test_identify_and_carriers(fake_upstream, client):
    rows = [{"Name": "中通快递", "simName": "zhongtong"}, {"name": "EMS", "simname": "ems"}]
    fake_upstream.set_identify(N, rows)
    assert client.identify(N) == [("zhongtong", "中通快递"), ("ems", "EMS")]
    assert fake_upstream.requests[-1].path == "/identify"
    with pytest.raises(InvalidNumber):
        client.identify("000")
    found, pages = client.carriers(keyword="顺丰")
    assert found == [{"code": "shunfeng", "name": "顺丰速运", "phone": "95338", "url": ""}]
    assert pages == 1
    assert fake_upstream.requests[-1].query == {"page": "1", "key": "顺丰"}
    assert client.carriers(keyword="测试") == ([], 0)
    assert client.stats["errors_invalid_number"] == 1  # identify("000")
    assert "errors_business" not in client.stats  # "no match" is an answer, not an error


def test_identify_and_carriers_not_configured(fake_upstream, make_client):
    client = make_client(kuaidi_identify_path=None, kuaidi_carriers_path=None)
    with pytest.raises(NotConfigured, match="KUAIDI_IDENTIFY_PATH"):
        client.identify(N)
    with pytest.raises(NotConfigured) as caught:
        client.carriers()
    assert caught.value.user_message_key == "config"
    assert fake_upstream.requests == []


def test_constructor_refuses_missing_appcode_and_plain_http(fake_upstream):
    with pytest.raises(ConfigurationError, match="AppCode"):
        ApiClient(fake_upstream.settings(kuaidi_appcode=None))
    with pytest.raises(ConfigurationError, match="https"):
        ApiClient(fake_upstream.settings(kuaidi_api_base="http://example.com"))


def test_many_threads_are_served_at_once_by_a_few_connection_pools(fake_upstream, make_client):
    # Answers are held back until all 128 requests are open at the fake at once: that can only
    # happen if no thread waits for a free connection (a capped pool would stall at its cap).
    fake_upstream.hold_answers_until(128, seconds=10)
    client = make_client(worker_threads=128, kuaidi_timeout=30)  # more than httpx's cap of 100
    assert len(client._clients.clients) == 8  # 16 threads per pool
    numbers = [f"YT{n:013d}" for n in range(128)]
    with ThreadPoolExecutor(128) as pool:
        results = list(pool.map(client.track, numbers))
    assert [r.number for r in results] == numbers
    assert fake_upstream.max_in_flight == 128
    assert len(fake_upstream.requests) == 128  # nobody timed out and asked again


def test_each_thread_keeps_to_one_client_and_threads_take_them_in_turn():
    made = []
    clients = ThreadClients(3, lambda: made.append(object()) or made[-1])
    seen: dict[str, list] = {}

    def use(name: str) -> None:
        seen[name] = [clients.mine(), clients.mine()]

    for name in "abcd":
        thread = threading.Thread(target=use, args=(name,))
        thread.start()
        thread.join()
    assert all(first is second for first, second in seen.values())
    assert [seen[n][0] for n in "abcd"] == [made[0], made[1], made[2], made[0]]
