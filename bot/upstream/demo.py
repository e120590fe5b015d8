"""`DemoProvider`: invented but plausible timelines, used when no AppCode is configured.

Everything is derived from a hash of the number, so the same number always tells the same
story: 2–8 scans between two Chinese cities and a status that is mostly in transit, out for
delivery or delivered (sometimes no record yet). The newest scan happens at a seeded time of
day, on the most recent day that time has passed (China time), so a timeline stays put
between polls and moves forward once a day. SF Express numbers need a phone tail, as with the
real service. Every result has `demo=True` so it is never shown as real data.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import CHINA_TZ, Clock
from bot.models import TrackingEvent
from bot.tracking import Status, TrackResult
from bot.upstream.base import Stats
from bot.upstream.errors import InvalidNumber, PhoneRequired, UpstreamError

_VALID = re.compile(r"[A-Za-z0-9]{6,40}")
_CITIES = ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "重庆")
_CITIES += ("泉州", "义乌", "郑州", "长沙", "苏州", "天津", "沈阳", "昆明", "厦门", "青岛")
_DISTRICTS = ("城东", "城西", "高新", "经开", "江北", "南湖", "新区", "中心")
_COURIERS = ("王师傅", "李师傅", "张师傅", "刘师傅", "陈师傅", "赵师傅")
_DEFAULT_CARRIERS = ("zhongtong", "yuantong", "yunda", "shentong", "jt")
_PREFIXES = (("SF", "shunfeng"), ("JT", "jt"), ("YT", "yuantong"), ("JD", "jingdong"),
             ("75", "zhongtong"), ("78", "zhongtong"), ("43", "yunda"))  # fmt: skip
_CARRIER_LIST = (
    {"code": "shunfeng", "name": "顺丰速运", "phone": "95338", "url": "http://www.sf-express.com"},
    {"code": "zhongtong", "name": "中通快递", "phone": "95311", "url": "http://www.zto.cn"},
    {"code": "yuantong", "name": "圆通速递", "phone": "95554", "url": "http://www.yto.net.cn"},
    {"code": "yunda", "name": "韵达速递", "phone": "95546", "url": "http://www.yundaex.com"},
    {
        "code": "jt",
        "name": "极兔速递",
        "phone": "4008201666",
        "url": "http://www.jtexpress.com.cn",
    },
    {"code": "jingdong", "name": "京东快递", "phone": "4006033600", "url": "https://www.jdl.cn"},
    {"code": "ems", "name": "EMS", "phone": "11183", "url": "http://www.ems.com.cn"},
)
_TRANSIT = (
    "【{o}】【{o}{od}营业部】已揽收",
    "【{o}】快件离开【{o}{od}营业部】已发往【{o}转运中心】",
    "【{o}】快件已到达【{o}转运中心】",
    "【{o}】快件离开【{o}转运中心】已发往【{d}转运中心】",
    "【{d}】快件已到达【{d}转运中心】",
    "【{d}】快件离开【{d}转运中心】已发往【{d}{dd}营业部】",
    "【{d}】快件已到达【{d}{dd}营业部】",
)
_OUT = "【{d}】【{d}{dd}营业部】的{c}（电话 1{p}****{q}）正在派件"
_SIGNED = "【{d}】快件已签收，签收人：本人，如有疑问请联系{c}（电话 1{p}****{q}）"


def _identity(code: str) -> str:
    return code


class DemoProvider:
    """Deterministic invented tracking data behind the `TrackingProvider` interface."""

    def __init__(
        self, carrier_name: Callable[[str], str] = _identity, clock: Clock | None = None
    ) -> None:
        self._carrier_name = carrier_name
        self._clock = clock or Clock()
        self._stats = Stats(self._clock, names=("upstream_calls", "upstream_calls_today"))

    @property
    def stats(self) -> dict[str, int]:
        """Counters, with the same names as the real client's."""
        return self._stats.snapshot()

    def track(
        self,
        number: str,
        carrier: str | None = None,
        phone_tail: str | None = None,
        *,
        fresh: bool = False,
    ) -> TrackResult:
        """An invented timeline for `number`; PhoneRequired for SF without a 4-digit tail."""
        self._stats.incr("upstream_calls", daily=True)
        try:
            return self._track(number.strip(), carrier, phone_tail)
        except UpstreamError as exc:
            self._stats.incr(f"errors_{exc.kind}")
            raise

    def _track(self, number: str, carrier: str | None, tail: str | None) -> TrackResult:
        if not _VALID.fullmatch(number):
            raise InvalidNumber("快递单号格式不正确")
        code = carrier or self._guess_code(number)
        if code == "shunfeng" or number.upper().startswith("SF"):
            if not tail:
                raise PhoneRequired("顺丰快递需要提供寄件人或收件人手机尾号后四位【tel字段】")
            if not re.fullmatch(r"\d{4}", tail):
                raise PhoneRequired("手机尾号格式不正确，请输入4位数字")
        rng = random.Random(hashlib.sha256(number.upper().encode()).digest())
        status, events = self._timeline(rng)
        return TrackResult(
            number=number,
            carrier_code=code,
            carrier_name=self._carrier_name(code),
            status=status,
            events=events,
            message="演示数据" if events else "暂无记录（演示数据）",
            demo=True,
        )

    def _guess_code(self, number: str) -> str:
        matches = self.identify(number)
        if matches:
            return matches[0][0]
        digest = hashlib.sha256(number.upper().encode()).digest()
        return _DEFAULT_CARRIERS[digest[-1] % len(_DEFAULT_CARRIERS)]

    def _timeline(self, rng: random.Random) -> tuple[Status, tuple[TrackingEvent, ...]]:
        """The seeded status and events, newest first."""
        roll = rng.random()
        if roll < 0.08:
            return Status.NO_RECORD, ()
        status = (
            Status.IN_TRANSIT
            if roll < 0.45
            else Status.OUT_FOR_DELIVERY
            if roll < 0.65
            else Status.DELIVERED
        )
        count = rng.randint(2, 8)
        finals = {Status.IN_TRANSIT: (), Status.OUT_FOR_DELIVERY: (_OUT,)}
        tail_steps = finals.get(status, (_OUT, _SIGNED))
        steps = (*_TRANSIT[: max(1, min(len(_TRANSIT), count - len(tail_steps)))], *tail_steps)
        origin, destination = rng.sample(_CITIES, 2)
        fill = {
            "o": origin,
            "d": destination,
            "od": rng.choice(_DISTRICTS),
            "dd": rng.choice(_DISTRICTS),
            "c": rng.choice(_COURIERS),
            "p": rng.choice("3578"),
            "q": f"{rng.randint(0, 9999):04d}",
        }
        times = self._times(rng, len(steps))
        events = [TrackingEvent(t, s.format(**fill)) for t, s in zip(times, steps, strict=True)]
        return status, tuple(reversed(events))

    def _times(self, rng: random.Random, count: int) -> list[datetime]:
        """`count` ascending times ending at the newest scan (seeded time of day, ≤ now)."""
        now = self._clock.now().astimezone(CHINA_TZ)
        time_of_day = timedelta(hours=rng.randint(8, 21), minutes=rng.randint(0, 59))
        newest = now.replace(hour=0, minute=0, second=0, microsecond=0) + time_of_day
        if newest > now:
            newest -= timedelta(days=1)
        times = [newest]
        for _ in range(count - 1):
            gap = timedelta(hours=rng.randint(1, 14), minutes=rng.randint(0, 59))
            times.append(times[-1] - gap)
        return times[::-1]

    def identify(self, number: str) -> list[tuple[str, str]]:
        """A guess from well-known prefixes (SF, JT, YT, JD, 75/78, 43), else []."""
        upper = number.strip().upper()
        codes = [code for prefix, code in _PREFIXES if upper.startswith(prefix)]
        return [(code, self._carrier_name(code)) for code in codes]

    def carriers(self, page: int = 1, keyword: str = "") -> tuple[list[dict], int]:
        """A short built-in list of big carriers, filtered by `keyword`; one page."""
        rows = [dict(r) for r in _CARRIER_LIST if keyword in r["name"] or keyword in r["code"]]
        return (rows, 1) if page == 1 and rows else ([], 1 if rows else 0)
