"""The tracking model: status codes 0–10 of the upstream API and a parsed tracking result.

Status labels, emoji and finality live in one table so every renderer and the poller agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from bot.models import TrackingEvent


class Status(IntEnum):
    """The upstream's `status` field."""

    QUERY_ERROR = 0
    NO_RECORD = 1
    IN_TRANSIT = 2
    OUT_FOR_DELIVERY = 3
    DELIVERED = 4
    REFUSED = 5
    PROBLEM = 6
    INVALID = 7
    TIMED_OUT = 8
    DELIVERY_FAILED = 9
    RETURNED = 10

    @classmethod
    def coerce(cls, value: object) -> Status:
        """Read a status that may arrive as int, str or garbage; unknown → QUERY_ERROR."""
        try:
            return cls(int(str(value).strip()))
        except (TypeError, ValueError):
            return cls.QUERY_ERROR

    @property
    def label_zh(self) -> str:
        """Chinese label."""
        return _STATUS_INFO[self][0]

    @property
    def label_en(self) -> str:
        """English label."""
        return _STATUS_INFO[self][1]

    @property
    def emoji(self) -> str:
        """One emoji that reads at a glance in a chat list."""
        return _STATUS_INFO[self][2]

    @property
    def is_final(self) -> bool:
        """True when no further scans are expected (delivered, invalid, returned and signed)."""
        return _STATUS_INFO[self][3]

    def label(self, language: str = "zh") -> str:
        """The label in `language` ("zh" or "en")."""
        return self.label_en if language.startswith("en") else self.label_zh


_STATUS_INFO: dict[Status, tuple[str, str, str, bool]] = {
    Status.QUERY_ERROR: ("查询异常", "Query error", "⚠️", False),
    Status.NO_RECORD: ("暂无记录", "No record yet", "🕓", False),
    Status.IN_TRANSIT: ("运输中", "In transit", "🚚", False),
    Status.OUT_FOR_DELIVERY: ("派送中", "Out for delivery", "🛵", False),
    Status.DELIVERED: ("已签收", "Delivered", "✅", True),
    Status.REFUSED: ("用户拒签", "Refused by recipient", "↩️", False),
    Status.PROBLEM: ("疑难件", "Problem parcel", "❗", False),
    Status.INVALID: ("无效单号", "Invalid number", "❌", True),
    Status.TIMED_OUT: ("超时未更新", "Timed out", "⏳", False),
    Status.DELIVERY_FAILED: ("派送失败", "Delivery failed", "⚠️", False),
    Status.RETURNED: ("退回签收", "Returned and signed", "📦", True),
}

#: Statuses a user would call a milestone (pushed even with "milestones only").
MILESTONES = frozenset(
    {
        Status.OUT_FOR_DELIVERY,
        Status.DELIVERED,
        Status.REFUSED,
        Status.PROBLEM,
        Status.DELIVERY_FAILED,
        Status.RETURNED,
        Status.INVALID,
    }
)


@dataclass(frozen=True)
class TrackResult:
    """One tracking answer. `events` are newest first; `demo` marks invented data."""

    number: str
    carrier_code: str
    carrier_name: str
    status: Status
    events: tuple[TrackingEvent, ...]
    message: str = ""
    demo: bool = False

    @property
    def latest(self) -> TrackingEvent | None:
        """The newest event, if any."""
        return self.events[0] if self.events else None

    @property
    def latest_time(self) -> datetime | None:
        """Time of the newest event, if known."""
        return self.events[0].time if self.events else None
