"""What the tracking dialogue keeps between two messages: the open phone-tail question and
the follow-up to run once a lookup succeeds.

Both are small typed values; they are stored as JSON in `pending_prompts` in the same shape
earlier versions wrote (`{"numbers": [[number, carrier]], "then": {"action": …}}`), so a
question asked before an upgrade is still answered after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The `kind` of a phone-tail question in `pending_prompts`.
PHONE_TAIL = "phone_tail"


@dataclass(frozen=True)
class Subscribe:
    """Follow-up of `/subscribe`: follow the parcel once it was looked up."""

    label: str = ""
    tail: str | None = None


#: Every follow-up a lookup can carry (one kind today; a union when there are more).
FollowUp = Subscribe


def follow_up_to_payload(follow_up: FollowUp | None) -> dict[str, Any] | None:
    """The JSON shape of a follow-up."""
    if follow_up is None:
        return None
    return {"action": "subscribe", "label": follow_up.label, "tail": follow_up.tail}


def follow_up_from_payload(data: dict[str, Any] | None) -> FollowUp | None:
    """Read a stored follow-up; unknown actions (from a newer version) are dropped."""
    if not data or data.get("action") != "subscribe":
        return None
    return Subscribe(label=data.get("label") or "", tail=data.get("tail"))


@dataclass(frozen=True)
class TailQuestion:
    """An open question for a phone tail: which numbers wait for it, what follows, and
    whether the one reminder was sent (see `bot.dialogue.phone_tail`)."""

    numbers: tuple[tuple[str, str | None], ...]
    follow_up: FollowUp | None = None
    reminded: bool = False

    def to_payload(self) -> dict[str, Any]:
        """The JSON stored in `pending_prompts.payload`."""
        payload: dict[str, Any] = {
            "numbers": [[number, carrier] for number, carrier in self.numbers],
            "then": follow_up_to_payload(self.follow_up),
        }
        if self.reminded:  # only when set: the shape earlier versions read stays the same
            payload["reminded"] = True
        return payload

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> TailQuestion:
        """Read a stored question."""
        numbers = tuple((number, carrier) for number, carrier in data.get("numbers", ()))
        return cls(numbers, follow_up_from_payload(data.get("then")), bool(data.get("reminded")))
