"""Every inbound route of the real application under generated hostile requests.

Properties, per request: no 5xx; a forged request (wrong or missing signature or secret, a
stale timestamp, a body changed after signing) is refused with 4xx and stores nothing; any
other request adds at most one inbox row — a message for the worker, or a signed payload that
cannot be read recorded as rejected (never claimed) — a replay adds none, and every message
stored is then handled by the worker without an error (nothing that would crash it gets in).

CI runs a fixed seed (the "ci" profile in tests/conftest.py) with `FUZZ_EXAMPLES` examples per
route (default 200); for a longer local run, e.g. 2,000 per route:

    KUAIDI_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/door/test_fuzz_routes.py -q

Each module run ends with one line per route: requests sent, answers by status, forgeries
accepted (always 0 when it passes).
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.door import hostile as h
from tests.door import stack as s
from tests.door.stack import Request, Stack, running_stack

FUZZ_EXAMPLES = int(os.environ.get("KUAIDI_FUZZ_EXAMPLES", "200"))
fuzz = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TALLY: dict[str, Counter] = defaultdict(Counter)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """One application for the module (hypothesis runs many examples per test)."""
    data_dir = tmp_path_factory.mktemp("fuzz")
    with running_stack(f"sqlite:///{data_dir / 'fuzz.sqlite3'}", data_dir) as running:
        yield running


def tally_lines() -> list[str]:
    """One line per route: requests sent, answers by status, forgeries accepted."""
    lines = []
    for route, counts in sorted(TALLY.items()):
        statuses = " ".join(f"{k}={v}" for k, v in sorted(counts.items()) if k != "sent")
        lines.append(f"fuzz {route}: sent={counts['sent']} {statuses}")
    return lines


def check(stack: Stack, route: str, request: Request, *, replay: bool = False) -> int:
    """Send `request` (twice when `replay`) and assert the properties; return the status."""
    rows, stored = stack.inbox_rows(), stack.stored_rows()
    response = request.send(stack.client)
    tally = TALLY[route]
    tally["sent"] += 1
    tally[str(response.status_code)] += 1
    assert response.status_code < 500, response.get_data(as_text=True)
    if request.huge:  # refused from its announced length, or cut off at the limit
        assert response.status_code == 413
        assert response.bytes_read <= s.MAX_BODY
    added, added_stored = stack.inbox_rows() - rows, stack.stored_rows() - stored
    tally["stored"] += added_stored
    tally["rejected"] += added - added_stored  # signed but unreadable: recorded, not handled
    if request.forged:
        tally["forged_accepted"] += response.status_code < 400 or added
        assert 400 <= response.status_code < 500
        assert added == 0  # nothing at all: not even a rejected row
    assert added in (0, 1)
    if response.status_code >= 400:
        assert added_stored == 0
    if replay and not request.forged:
        again = request.send(stack.client)
        tally["sent"] += 1
        assert again.status_code == response.status_code
        assert stack.inbox_rows() == rows + added
    if added_stored:
        stack.work_off()
        assert stack.unfinished_or_failed() == []
    return response.status_code


# --- Telegram ---------------------------------------------------------------------------------


@st.composite
def telegram_requests(draw) -> Request:
    request = s.telegram(draw(h.telegram_update()))
    secret = draw(st.sampled_from(["valid"] * 3 + ["missing", "wrong", "padded"]))
    if secret == "missing":
        headers = {k: v for k, v in request.headers.items() if k != s.SECRET_HEADER}
        request = request.but(headers=headers, forged=True)
    elif secret != "valid":
        wrong = st.text(h.HEADER_CHARS, max_size=300)
        given_secret = draw(wrong) if secret == "wrong" else s.TELEGRAM["secret_token"] + " "
        request = request.but(headers={**request.headers, s.SECRET_HEADER: given_secret})
        request = request.but(forged=given_secret != s.TELEGRAM["secret_token"])
    return draw(h.body_damage(request, body_signed=False))


@fuzz
@given(request=telegram_requests(), replay=st.booleans())
def test_telegram_webhook(stack, request, replay):
    check(stack, "telegram", request, replay=replay)


# --- WeCom -------------------------------------------------------------------------------------


@st.composite
def wecom_signature_damage(draw, request: Request, *, aibot: bool) -> Request:
    """Break the query signature, or sign a stale timestamp, or leave it alone."""
    how = draw(st.sampled_from(["none"] * 4 + ["drop", "flip", "stale", "other-key"]))
    query = dict(request.query)
    if how == "none":
        return request
    if how == "drop":
        del query[draw(st.sampled_from(sorted(query)))]
    elif how == "flip":
        name = draw(st.sampled_from(["msg_signature", "timestamp", "nonce"]))
        query[name] = query[name][:-1] + ("0" if query[name][-1:] != "0" else "1")
    elif how == "stale":
        encrypted = query.get("echostr") or _encrypt_field(request)
        when = h.stale_time(draw(st.sampled_from(h.STALE)))
        signed = s.wecom_query(encrypted, aibot=aibot, timestamp=0)
        signed["timestamp"] = str(when)
        signed["msg_signature"] = s.wecom_signature(encrypted, str(when), aibot=aibot)
        query.update(signed)
    else:  # signed with the other route's token
        encrypted = query.get("echostr") or _encrypt_field(request)
        query.update(s.wecom_query(encrypted, aibot=not aibot))
    return request.but(query=query, forged=True)


def _encrypt_field(request: Request) -> str:
    body = request.body.decode()
    if body.startswith("<xml>"):
        return body.split("<Encrypt><![CDATA[", 1)[1].split("]]>", 1)[0]
    return body.split('"encrypt": "', 1)[1].split('"', 1)[0]


@st.composite
def wecom_post_requests(draw, path: str) -> Request:
    aibot = path == "/wecom/aibot"
    if aibot:
        payload = draw(h.wecom_aibot_payload())
        request = s.wecom_aibot_post(s.json_text(payload))
    else:
        request = s.wecom_app_post(draw(h.wecom_app_plaintext()))
    request = draw(wecom_signature_damage(request, aibot=aibot))
    return draw(h.body_damage(request, body_signed=True))


@st.composite
def wecom_url_checks(draw, path: str) -> Request:
    aibot = path == "/wecom/aibot"
    request = s.wecom_url_check(path, draw(st.text(st.characters(codec="utf-8"), max_size=40)))
    request = draw(wecom_signature_damage(request, aibot=aibot))
    how = draw(st.sampled_from(["none", "none", "junk", "cut", "missing"]))
    query = dict(request.query)
    if "echostr" not in query:  # dropped above
        return request
    if how == "junk":  # signed again over the longer value: only strict base64 refuses it
        query["echostr"] += draw(st.sampled_from(["AAAA", "=", "!", "%", "==", "\n"]))
        query.update(s.wecom_query(query["echostr"], aibot=aibot))
    elif how == "cut":
        query["echostr"] = query["echostr"][: draw(st.integers(0, 40))]
        query.update(s.wecom_query(query["echostr"], aibot=aibot))
    elif how == "missing":
        del query["echostr"]
    return request.but(query=query, forged=request.forged or how != "none")


@fuzz
@given(request=wecom_post_requests("/wecom/callback"), replay=st.booleans())
def test_wecom_app_callback_post(stack, request, replay):
    check(stack, "wecom app", request, replay=replay)


@fuzz
@given(request=wecom_post_requests("/wecom/aibot"), replay=st.booleans())
def test_wecom_aibot_post(stack, request, replay):
    check(stack, "wecom aibot", request, replay=replay)


@fuzz
@given(request=wecom_url_checks("/wecom/callback"))
def test_wecom_app_url_check_get(stack, request):
    status = check(stack, "wecom app url check (GET)", request)
    if not request.forged:  # WeCom's own check: the exact decrypted echostr, nothing else
        assert status == 200


@fuzz
@given(request=wecom_url_checks("/wecom/aibot"))
def test_wecom_aibot_url_check_get(stack, request):
    status = check(stack, "wecom aibot url check (GET)", request)
    if not request.forged:
        assert status == 200


# --- Feishu ------------------------------------------------------------------------------------


@st.composite
def feishu_requests(draw, path: str) -> Request:
    payload = draw(h.feishu_payload(path))
    request = s.feishu(path, s.json_text(payload).encode("utf-8", "surrogatepass"))
    how = draw(st.sampled_from(["none"] * 4 + ["drop", "flip", "stale", "plain"]))
    headers = dict(request.headers)
    if how == "drop":
        del headers[draw(st.sampled_from(sorted(k for k in headers if k.startswith("X-Lark"))))]
    elif how == "flip":
        name = draw(st.sampled_from(["X-Lark-Signature", "X-Lark-Request-Nonce"]))
        headers[name] = headers[name][:-1] + ("0" if headers[name][-1:] != "0" else "1")
    elif how == "stale":
        when = h.stale_time(draw(st.sampled_from(h.STALE)))
        headers = s.feishu_headers(request.body, str(when))
    elif how == "plain":  # the payload unencrypted, unsigned: what a forger can send
        return request.but(body=s.json_text(payload).encode(), headers={}, forged=True)
    request = request.but(headers=headers, forged=how != "none")
    return draw(h.body_damage(request, body_signed=True))


@fuzz
@given(request=feishu_requests("/feishu/events"), replay=st.booleans())
def test_feishu_events(stack, request, replay):
    check(stack, "feishu events", request, replay=replay)


@fuzz
@given(request=feishu_requests("/feishu/card"), replay=st.booleans())
def test_feishu_card(stack, request, replay):
    check(stack, "feishu card", request, replay=replay)


# --- service routes and everything else --------------------------------------------------------

@st.composite
def kuaidi100_params(draw) -> str:
    """A push as Kuaidi100 sends it (any number, status, scans), or JSON/text that is not."""
    kind = draw(st.sampled_from(["push", "push", "push", "json", "text"]))
    if kind == "text":
        return draw(st.text(max_size=300))
    if kind == "json":
        other = st.one_of(
            st.lists(st.integers(), max_size=3),
            st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
            st.fixed_dictionaries({"lastResult": st.dictionaries(st.text(max_size=4), st.none())}),
        )
        return s.json_text(draw(other))
    scans = draw(st.lists(st.tuples(st.text(max_size=25), st.text(max_size=40)), max_size=4))
    last = {
        "nu": draw(st.text(max_size=60)),
        "com": draw(st.sampled_from(["yuantong", "", "x" * 80])),
        "state": draw(st.sampled_from(["0", "3", "301", "-1", "", "abc"])),
        "data": [{"time": when, "context": text} for when, text in scans],
    }
    push = {
        "status": draw(st.sampled_from(["polling", "shutdown", "abort", "updateall", ""])),
        "message": draw(st.text(max_size=20)),
        "autoCheck": draw(st.sampled_from(["0", "1", ""])),
        "comNew": draw(st.sampled_from(["", "zhongtong", "?"])),
        "lastResult": last,
    }
    return s.json_text(push)


@st.composite
def kuaidi100_requests(draw) -> Request:
    """Signed pushes (either case of the sign), and forgeries: a wrong, missing or empty
    sign, a wrong path secret; then the usual body damage."""
    param = draw(kuaidi100_params())
    how = draw(st.sampled_from(["none"] * 4 + ["lower", "sign", "secret", "nosign"]))
    if how == "lower":
        request = s.kuaidi100(param, sign=s.kuaidi100_sign(param).lower())
    elif how == "sign":
        request = s.kuaidi100(param, sign=draw(st.text(h.HEADER_CHARS, max_size=40)))
        request = request.but(forged=True)
    elif how == "secret":
        wrong = draw(st.text(min_size=1, max_size=40).filter(lambda x: x != s.K100_SECRET))
        request = s.kuaidi100(param, secret=wrong).but(forged=True)
    elif how == "nosign":
        request = s.kuaidi100(param, sign="").but(forged=True)
    else:
        request = s.kuaidi100(param)
    return draw(h.body_damage(request, body_signed=True))


@fuzz
@given(request=kuaidi100_requests(), replay=st.booleans())
def test_kuaidi100_callback(stack, request, replay):
    check(stack, "kuaidi100 callback", request, replay=replay)


SERVICE_PATHS = ["/healthz", "/readyz", "/metrics", f"/kuaidi100/callback/{s.K100_SECRET}"]
METHODS = ["GET", "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]


@st.composite
def service_requests(draw) -> Request:
    path = draw(st.sampled_from([*SERVICE_PATHS, "/", "/telegram/webhook/x", "/wecom/%00"]))
    query = draw(st.dictionaries(st.text(max_size=5), st.text(max_size=10), max_size=2))
    headers = {"X-Request-Id": draw(st.text(h.HEADER_CHARS, max_size=70))}
    body = draw(st.one_of(st.just(b""), st.binary(max_size=200)))
    return Request(draw(st.sampled_from(METHODS)), path, body, query, headers)


@fuzz
@given(request=service_requests())
def test_service_routes(stack, request):
    status = check(stack, "service routes", request)
    if request.method == "GET" and request.path in SERVICE_PATHS[:3]:
        assert status == 200
