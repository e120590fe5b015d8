"""Kuaidi100's client against the fake server: signatures, every documented return code of the
query and the subscription, the carrier-code map, and callback signatures and shapes."""

from __future__ import annotations

import hashlib
import json

import pytest

from bot.tracking import Status
from bot.upstream import (
    ConfigurationError,
    PhoneRequired,
    QuotaExhausted,
    UpstreamUnavailable,
)
from bot.upstream.errors import BusinessError, NotConfigured
from bot.upstream.kuaidi100 import Kuaidi100Client
from bot.upstream.kuaidi100_protocol import (
    UnsupportedCarrier,
    md5_upper,
    parse_callback,
    query_form,
    sign_valid,
)
from tests.fakes.kuaidi100_server import FakeKuaidi100

YT = "YT9693083639795"
EVENTS = [("2026-01-02 08:20:00", "【杭州市】快递员正在派件"), ("2026-01-01 07:30:00", "已揽收")]


@pytest.fixture
def k100():
    with FakeKuaidi100() as server:
        yield server


@pytest.fixture
def client(k100):
    client = Kuaidi100Client(k100.settings(), code_for=lambda c: {"yt": "yuantong"}.get(c, c))
    yield client
    client.close()


def test_query_is_signed_as_documented():
    form = query_form("KEY", "CUST", "yuantong", YT, "1234")
    param = json.loads(form["param"])
    assert param == {"com": "yuantong", "num": YT, "resultv2": "1", "phone": "1234"}
    expected = hashlib.md5((form["param"] + "KEY" + "CUST").encode()).hexdigest().upper()
    assert form["sign"] == expected and form["customer"] == "CUST"


def test_track_answers_with_events_status_and_the_callers_code(k100, client):
    k100.set_track(YT, state=5, events=EVENTS)
    result = client.track(YT, "yt", "1234")
    assert result.status == Status.OUT_FOR_DELIVERY
    assert [e.text for e in result.events] == [EVENTS[0][1], EVENTS[1][1]]
    assert result.carrier_code == "yt"  # answered for the carrier asked about
    sent = k100.queries_for(YT)[0]
    assert sent.param["com"] == "yuantong" and sent.param["phone"] == "1234"
    assert client.stats["upstream_calls"] == 1


@pytest.mark.parametrize(
    ("state", "status"),
    [(0, Status.IN_TRANSIT), (1, Status.IN_TRANSIT), (2, Status.PROBLEM),
     (3, Status.DELIVERED), (4, Status.RETURNED), (5, Status.OUT_FOR_DELIVERY),
     (6, Status.PROBLEM), (14, Status.REFUSED), (301, Status.DELIVERED)],
)
def test_states_map_to_ours(k100, client, state, status):
    k100.set_track(YT, state=state, events=EVENTS)
    assert client.track(YT, "yuantong").status == status


def test_no_result_yet_is_no_record(k100, client):
    result = client.track(YT, "yuantong")  # the fake answers 500 查询无结果 for unknown numbers
    assert result.status == Status.NO_RECORD and result.events == ()


@pytest.mark.parametrize(
    ("code", "error"),
    [("400", UnsupportedCarrier), ("408", PhoneRequired), ("501", UpstreamUnavailable),
     ("502", UpstreamUnavailable), ("503", ConfigurationError), ("601", QuotaExhausted),
     ("777", BusinessError)],
)
def test_query_return_codes_map_to_errors(k100, client, code, error):
    k100.push_code(YT, code, "说明")
    with pytest.raises(error):
        client.track(YT, "yuantong")
    assert client.stats[f"errors_{error.kind}"] == 1


def test_wrong_key_is_a_configuration_error(k100):
    client = Kuaidi100Client(k100.settings(kuaidi100_key="wrong-key-0000"))
    with pytest.raises(ConfigurationError):
        client.track(YT, "yuantong")
    client.close()


def test_without_a_carrier_code_kuaidi100_is_not_asked(k100):
    client = Kuaidi100Client(k100.settings(), code_for=lambda code: None)
    with pytest.raises(UnsupportedCarrier):
        client.track(YT, None)
    with pytest.raises(UnsupportedCarrier):
        client.track(YT, "nobody-knows")
    assert k100.requests == []
    client.close()


def test_down_and_quota_modes(k100, client):
    k100.mode = "down"
    with pytest.raises(UpstreamUnavailable):
        client.track(YT, "yuantong")
    k100.mode = "quota"
    with pytest.raises(QuotaExhausted):
        client.track(YT, "yuantong")


def test_subscribe_sends_the_documented_form_once(k100, client):
    first = client.subscribe(YT, "yt", "5678")
    again = client.subscribe(YT, "yt", "5678")
    assert (first.accepted, first.code) == (True, "200")
    assert (again.accepted, again.code) == (True, "501")  # already followed: still fine
    param = k100.subscriptions_for(YT)[0].param
    assert param["company"] == "yuantong" and param["key"] == k100.key
    parameters = param["parameters"]
    assert parameters["callbackurl"].endswith("/kuaidi100/callback/" + k100.settings_values()[
        "kuaidi100_callback_secret"])
    assert parameters["salt"] == k100.salt and parameters["phone"] == "5678"
    assert parameters["resultv2"] == "1"


@pytest.mark.parametrize("code", ["700", "701", "702"])
def test_subscription_refusals_are_not_errors(k100, client, code):
    k100.push_code(YT, code, "拒绝")
    registration = client.subscribe(YT, "yuantong", None)
    assert not registration.accepted and registration.code == code


@pytest.mark.parametrize(
    ("code", "error"),
    [("600", ConfigurationError), ("601", QuotaExhausted), ("500", UpstreamUnavailable)],
)
def test_subscription_faults_raise(k100, client, code, error):
    k100.push_code(YT, code)
    with pytest.raises(error):
        client.subscribe(YT, "yuantong", None)


def test_subscribe_without_callback_settings_is_not_configured(k100):
    client = Kuaidi100Client(k100.settings(kuaidi100_callback_url=None))
    with pytest.raises(NotConfigured):
        client.subscribe(YT, "yuantong", None)
    assert k100.requests == []
    client.close()


def test_callback_signature_any_case_and_forgeries(k100):
    form = k100.callback_form(YT)
    assert sign_valid(form["param"], form["sign"], k100.salt)
    assert sign_valid(form["param"], form["sign"].lower(), k100.salt)
    assert not sign_valid(form["param"], k100.callback_form(YT, forged=True)["sign"], k100.salt)
    assert not sign_valid(form["param"] + " ", form["sign"], k100.salt)
    assert not sign_valid(form["param"], "", k100.salt)
    assert md5_upper("") == hashlib.md5(b"").hexdigest().upper()


def test_callback_param_is_parsed(k100):
    k100.set_track(YT, state=3, events=EVENTS, com="yuantong")
    form = k100.callback_form(YT, status="shutdown", auto_check="1", com_old="ems",
                              com_new="yuantong")
    push = parse_callback(form["param"])
    assert (push.status, push.number, push.carrier) == ("shutdown", YT, "yuantong")
    assert (push.auto_check, push.com_old, push.com_new) == ("1", "ems", "yuantong")
    assert push.result.status == Status.DELIVERED and len(push.result.events) == 2
    for bad in ("[]", "{}", '{"lastResult": {"nu": ""}}', "not json"):
        with pytest.raises(ValueError):
            parse_callback(bad)
