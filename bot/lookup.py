"""Tracking one number: phone tails, carrier codes, upstream errors, and the card it makes.

The engine decides *what* to track; this module does one lookup and says how it went
(`Outcome`), so that the phone-tail dialogue and error sentences stay in the engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.carriers import Registry
from bot.carriers.names import display_name, romanised
from bot.models import TrackingCard
from bot.storage.conversation import ConversationStore
from bot.storage.patterns import PatternStore
from bot.texts import is_english, t
from bot.timeline import card_events, older_note
from bot.tracking import Status, TrackResult
from bot.upstream import NotConfigured, PhoneRequired, TrackingProvider, UpstreamError
from bot.waybills import Waybill, find_waybills

log = logging.getLogger(__name__)

#: Carriers whose queries need the phone tail up front (asking first saves a paid call).
PHONE_CARRIERS = frozenset({"shunfeng", "shunfengkuaiyun"})


@dataclass(frozen=True)
class Outcome:
    """How one lookup went: a result, a missing/wrong phone tail, or an upstream error."""

    number: str
    carrier: str | None
    result: TrackResult | None = None
    needs_tail: bool = False
    rejected_tail: str | None = None
    error: UpstreamError | None = None


def needs_phone(number: str, carrier: str | None) -> bool:
    """True when the number's carrier wants the phone tail before it answers."""
    return carrier in PHONE_CARRIERS or number.startswith("SF")


class Lookup:
    """Tracks numbers for users, remembering the phone tails they gave."""

    def __init__(
        self,
        provider: TrackingProvider,
        registry: Registry,
        store: ConversationStore,
        *,
        identify: bool = False,
        patterns: PatternStore | None = None,
        demo: bool = False,
    ) -> None:
        self.provider = provider
        self.registry = registry
        self.store = store
        self.identify = identify
        self.patterns = patterns
        #: Answers come from the demo provider: everything built from them carries the label.
        self.demo = demo

    def detect(self, text: str, *, alone: bool = True) -> list[Waybill]:
        """Waybills in ``text``, ranked with what the upstream's answers taught us."""
        learned = self.patterns.snapshot() if self.patterns is not None else None
        return find_waybills(text, alone=alone, learned=learned)

    def track(
        self,
        platform: str,
        user_id: str,
        number: str,
        carrier: str | None,
        tail: str | None = None,
        *,
        fresh: bool = False,
    ) -> Outcome:
        """Look `number` up with the given tail, else the one this user gave before."""
        carrier = carrier or self._identify(number)
        explicit = tail is not None
        tail = tail or self.store.tail_for(platform, user_id, number)
        if tail is None and needs_phone(number, carrier):
            return Outcome(number, carrier, needs_tail=True)
        vendor = self.registry.vendor_code(carrier) if carrier else None
        try:
            result = self.provider.track(number, vendor, tail, fresh=fresh)
        except PhoneRequired:
            return Outcome(number, carrier, needs_tail=True, rejected_tail=tail)
        except UpstreamError as error:
            log.warning("lookup of %s failed: %s", number, type(error).__name__)
            return Outcome(number, carrier, error=error)
        if tail and explicit:
            self.store.remember_tail(platform, user_id, number, tail)
        if vendor is not None and result.carrier_code == vendor:
            return Outcome(number, carrier, result=result)  # the code we sent was taken
        # No code sent, or ours was refused: the upstream identified the carrier. Show the one
        # it named, and count it for numbers of this pattern.
        named = self._carrier_from_name(result)
        self._learn(number, named, result)
        return Outcome(number, named or carrier, result=result)

    def _learn(self, number: str, named: str | None, result: TrackResult) -> None:
        if self.patterns is None or named is None or result.demo:
            return
        if result.status in (Status.QUERY_ERROR, Status.INVALID):
            return
        try:
            self.patterns.learn(number, named)
        except Exception:  # noqa: BLE001 - learning is a bonus; the answer still goes out
            log.warning("could not record the carrier pattern of %s", number, exc_info=True)

    def _identify(self, number: str) -> str | None:
        """Ask the upstream's identify endpoint (when configured) for a carrier code."""
        if not self.identify:
            return None
        try:
            guesses = self.provider.identify(number)
        except (NotConfigured, UpstreamError):
            return None
        for vendor_code, _name in guesses:
            carrier = self.registry.get(vendor_code)
            if carrier is not None:
                return carrier.code
        return None

    def _carrier_from_name(self, result: TrackResult) -> str | None:
        """The registry code for the carrier name the upstream reported, if it matches."""
        if result.carrier_code:
            found = self.registry.get(result.carrier_code)
            if found:
                return found.code
        matches = self.registry.find_in_text(result.carrier_name) if result.carrier_name else []
        return matches[0].code if matches else None

    def card(self, outcome: Outcome, language: str) -> TrackingCard:
        """A tracking card for a successful outcome, with the registry's name and hotline;
        only the newest events (`bot.timeline`), the rest counted in its note."""
        result = outcome.result
        assert result is not None, "card() needs a result"
        carrier = self.registry.get(outcome.carrier) if outcome.carrier else None
        if carrier is not None:
            name = display_name(carrier, language)
        else:
            reported = result.carrier_name or outcome.carrier or ""
            name = (
                romanised(reported)
                if is_english(language) and not reported.isascii()
                else reported
            )
        events, older = card_events(result.events)
        notes = [t("demo_note", language) if result.demo else ""]
        notes.append(older_note(outcome.number, older, language))
        return TrackingCard(
            number=outcome.number,
            carrier_code=carrier.code if carrier else (outcome.carrier or ""),
            carrier_name=name,
            carrier_phone=carrier.phone if carrier else "",
            status=int(result.status),
            status_label=result.status.label(language),
            status_emoji=result.status.emoji,
            is_final=result.status.is_final,
            events=events,
            demo=result.demo,
            note="\n".join(note for note in notes if note),
            phone_label=t("hotline", language),
        )

    def carrier_name(self, code: str | None, language: str = "zh") -> str:
        """The carrier's short display name in `language`, or an empty string."""
        carrier = self.registry.get(code) if code else None
        return display_name(carrier, language, short=True) if carrier else ""
