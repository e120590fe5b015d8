"""Kuaidi100 (快递100) wire format, pure: signatures, request fields, answers and callbacks.

Sources are listed in docs/kuaidi100.md. In short:

* real-time query `POST /poll/query.do` (form): `customer`, `param` (JSON: `com`, `num`,
  `phone`, `resultv2`), `sign` = upper-case hex MD5 of `param + key + customer`. A success is
  the tracking object itself (`message` "ok", `state`, `com`, `nu`, `data` newest first); a
  failure is `{"result": false, "returnCode": "...", "message": "..."}`.
* subscription `POST /poll` (form): `schema=json`, `param` (JSON: `company`, `number`, `key`,
  `parameters`: `callbackurl`, `salt`, `resultv2`, `autoCom`, `phone`); the answer is
  `{"result", "returnCode", "message"}`.
* callback: form fields `param` (JSON: `status` polling/shutdown/abort/updateall, `message`,
  `autoCheck`, `comOld`, `comNew`, `lastResult`) and `sign` = MD5(`param + salt`), which the
  docs print in upper case; we compare without regard to case.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from bot.tracking import Status, TrackResult
from bot.upstream.errors import (
    BusinessError,
    ConfigurationError,
    PhoneRequired,
    QuotaExhausted,
    UnexplainedRefusal,
    UpstreamError,
    UpstreamUnavailable,
)
from bot.upstream.parsing import coerce_int, parse_events

#: Kuaidi100's main states (`state`) → ours. 0 在途, 1 揽收, 2 疑难, 3 签收, 4 退签, 5 派件,
#: 6 退回, 7 转单, 8 清关, 10 待清关, 11 清关中, 12 已清关, 13 清关异常, 14 拒签.
_STATES = {
    0: Status.IN_TRANSIT,
    1: Status.IN_TRANSIT,
    2: Status.PROBLEM,
    3: Status.DELIVERED,
    4: Status.RETURNED,
    5: Status.OUT_FOR_DELIVERY,
    6: Status.PROBLEM,
    7: Status.IN_TRANSIT,
    8: Status.IN_TRANSIT,
    10: Status.IN_TRANSIT,
    11: Status.IN_TRANSIT,
    12: Status.IN_TRANSIT,
    13: Status.PROBLEM,
    14: Status.REFUSED,
}
#: What the callback route answers (the docs' example; anything else makes Kuaidi100 retry).
CALLBACK_OK = {"result": True, "returnCode": "200", "message": "成功"}
#: Subscription answer codes that mean "followed": 200 accepted, 501 already being followed.
SUBSCRIBED = frozenset({"200", "501"})


class UnsupportedCarrier(BusinessError):
    """This provider cannot answer for this number (no carrier code, or one it does not
    know): another provider may, so fail-over moves on without counting it as a fault."""

    sentence = "err_carrier_needed"
    kind = "unsupported_carrier"
    temporary = True


class SubscriptionRefused(BusinessError):
    """Kuaidi100 will not follow this number (700/701/702): poll it instead."""

    kind = "subscription_refused"


@dataclass(frozen=True)
class PushRegistration:
    """How a subscription request went: `accepted` (200, or 501 already followed)."""

    accepted: bool
    code: str
    message: str


@dataclass(frozen=True)
class Callback:
    """One verified push: the monitoring status, carrier correction and the snapshot."""

    status: str  # polling, shutdown, abort, updateall
    message: str
    auto_check: str
    com_old: str
    com_new: str
    number: str
    carrier: str  # the snapshot's `com`
    result: TrackResult


def md5_upper(text: str) -> str:
    """Upper-case hex MD5 of `text` in UTF-8 (both of Kuaidi100's signatures)."""
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - their scheme


def query_form(key: str, customer: str, com: str, num: str, phone: str | None) -> dict:
    """The form of a real-time query, signed."""
    fields = {"com": com, "num": num, "resultv2": "1"}
    if phone:
        fields["phone"] = phone
    param = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return {"customer": customer, "param": param, "sign": md5_upper(param + key + customer)}


def subscribe_form(
    key: str, com: str, num: str, callback_url: str, salt: str, phone: str | None
) -> dict:
    """The form of a subscription request (the key travels inside `param`, unsigned)."""
    parameters = {"callbackurl": callback_url, "salt": salt, "resultv2": "1"}
    if phone:
        parameters["phone"] = phone
    if not com:
        parameters["autoCom"] = "1"
    param = {"company": com, "number": num, "key": key, "parameters": parameters}
    return {"schema": "json", "param": json.dumps(param, ensure_ascii=False)}


def sign_valid(param: str, sign: str, salt: str) -> bool:
    """True when `sign` is MD5(param + salt), in either case; compared in constant time."""
    expected = md5_upper(param + salt)
    return hmac.compare_digest(expected.encode(), (sign or "").strip().upper().encode())


def status_of(state: object, has_events: bool) -> Status:
    """Our status for Kuaidi100's `state` (advanced 3–4 digit states by their main state)."""
    code = coerce_int(state, -1)
    if code >= 100:
        code //= 100
    if not has_events:
        return Status.NO_RECORD
    return _STATES.get(code, Status.IN_TRANSIT)


def result_of(data: dict, number: str) -> TrackResult:
    """A `TrackResult` from a tracking object (a query answer or a callback's lastResult)."""
    events = parse_events(data.get("data"))
    return TrackResult(
        number=number,
        carrier_code=str(data.get("com") or "").strip(),
        carrier_name="",
        status=status_of(data.get("state"), bool(events)),
        events=events,
        message=str(data.get("message") or "").strip()[:200],
    )


def query_answer(data: dict, number: str) -> TrackResult:
    """The result of a query answer, or the error its `returnCode` stands for."""
    if "returnCode" not in data and str(data.get("status", "200")) == "200":
        return result_of(data, number)
    code = str(data.get("returnCode") or data.get("status") or "").strip()
    message = str(data.get("message") or "").strip()[:200]
    if code == "500":  # 查询无结果，请隔段时间再查: nothing scanned yet
        return TrackResult(number, "", "", Status.NO_RECORD, (), message)
    raise query_error(code, message)


def query_error(code: str, message: str) -> UpstreamError:
    """The error for a failed query's `returnCode`."""
    text = f"kuaidi100 {code}: {message}" if message else f"kuaidi100 {code}"
    if code == "400":  # 找不到对应公司 / 提交数据不完整
        return UnsupportedCarrier(message or "unknown carrier code")
    if code == "408":  # 手机号/验证码校验失败: the phone tail is missing or wrong
        return PhoneRequired(message or "phone number check failed")
    if code in ("501", "502"):  # 服务器错误 / 服务器繁忙
        return UpstreamUnavailable(text)
    if code == "503":  # 验证签名失败: wrong key or customer
        return ConfigurationError(text)
    if code == "601":  # key已过期 / no calls left on the account
        return QuotaExhausted(text)
    return BusinessError(message) if message else UnexplainedRefusal("")


def subscribe_answer(data: dict) -> PushRegistration:
    """A subscription answer: accepted/refused, or the error its `returnCode` stands for."""
    code = str(data.get("returnCode") or "").strip()
    message = str(data.get("message") or "").strip()[:200]
    if code in SUBSCRIBED:
        return PushRegistration(True, code, message)
    text = f"kuaidi100 subscribe {code}: {message}"
    if code in ("700", "701", "702"):  # bad data or callback / refused carrier / unknown one
        return PushRegistration(False, code, message)
    if code == "600":  # not a valid subscriber: wrong key
        raise ConfigurationError(text)
    if code == "601":  # key expired
        raise QuotaExhausted(text)
    raise UpstreamUnavailable(text)  # 500 and anything undocumented: try again later


def parse_callback(param: str) -> Callback:
    """The push in a verified `param`; ValueError when it is not the documented object."""
    data = json.loads(param)
    if not isinstance(data, dict) or not isinstance(data.get("lastResult"), dict):
        raise ValueError("callback param without lastResult")
    last = data["lastResult"]
    number = str(last.get("nu") or "").strip()
    if not number:
        raise ValueError("callback without a number")
    return Callback(
        status=str(data.get("status") or "polling").strip().lower(),
        message=str(data.get("message") or "").strip()[:200],
        auto_check=str(data.get("autoCheck") or "").strip(),
        com_old=str(data.get("comOld") or "").strip(),
        com_new=str(data.get("comNew") or "").strip(),
        number=number,
        carrier=str(last.get("com") or "").strip(),
        result=result_of(last, number),
    )
