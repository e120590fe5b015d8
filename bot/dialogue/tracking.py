"""The tracking dialogue: look numbers up, ask for a missing phone tail (once), take the
answer, render each outcome as a card or a kind sentence, and run the follow-up a command
attached (e.g. subscribe once the parcel was found).

The engine decides *which* of these a message asks for; the command handlers call them too.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Protocol

from cachetools import TTLCache

from bot.dialogue.pending import FollowUp, Subscribe, TailQuestion
from bot.dialogue.phone_tail import PhoneTailQuestions
from bot.lookup import Lookup, Outcome, needs_phone
from bot.models import Button, Incoming, Reply
from bot.storage.conversation import ConversationStore
from bot.texts import join, t
from bot.timeline import CARD_EVENTS, history_button, history_page
from bot.tracking import Status
from bot.waybills import Waybill, find_waybills

#: Numbers tracked from one message; more would flood the chat and cost money.
MAX_NUMBERS = 5
#: A button's action "track:N1,N2,…" (the numbers a long message left over).
TRACK_ACTION = "track:"
#: Telegram's limit on a button's callback data, the smallest of the platforms.
MAX_ACTION_BYTES = 64
#: Seconds in which another refresh of the same number reuses the last answer: every fresh
#: lookup is a paid call, and a button invites repeated presses.
REFRESH_COOLDOWN = 60


class SubscriptionCommands(Protocol):
    """What the dialogue and the commands ask of the subscriptions service."""

    def subscribe(
        self, message: Incoming, outcome: Outcome, tail: str | None, label: str
    ) -> list[Reply]: ...

    def unsubscribe(self, message: Incoming, number: str) -> list[Reply]: ...

    def unsubscribe_choices(self, message: Incoming, label: str) -> list[Reply]: ...

    def list(self, message: Incoming) -> list[Reply]: ...

    def rename(self, message: Incoming, number: str, label: str) -> list[Reply]: ...

    def status(self, message: Incoming) -> list[Reply]: ...

    def is_subscribed(self, message: Incoming, number: str) -> bool: ...


class TrackingDialogue:
    """Lookups and the phone-tail question, for one engine."""

    def __init__(
        self,
        lookup: Lookup,
        store: ConversationStore,
        subscriptions: SubscriptionCommands | None = None,
    ) -> None:
        self.lookup = lookup
        self.store = store
        self.subscriptions = subscriptions
        self.tails = PhoneTailQuestions(store)
        self._refreshed: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=REFRESH_COOLDOWN)
        self._refreshed_lock = threading.Lock()

    # --- looking up -----------------------------------------------------------------------
    def track(
        self,
        message: Incoming,
        waybills: list[Waybill],
        tail: str | None = None,
        follow_up: FollowUp | None = None,
    ) -> list[Reply]:
        """Track up to MAX_NUMBERS numbers; ask once for a phone tail where one is missing.
        `follow_up` runs after each successful lookup and survives the question."""
        replies: list[Reply] = []
        if not message.action and message.message_id:  # what an edit of it may add to
            tracked = [w.number for w in waybills[:MAX_NUMBERS]]
            self.store.add_numbers_seen(
                message.platform, message.chat_id, message.message_id, tracked
            )
        if len(waybills) > MAX_NUMBERS:
            replies.append(self._rest_offer(message, waybills))
        # Tied or weak candidates go without a code: the upstream identifies the carrier.
        numbers = [(w.number, w.decided) for w in waybills[:MAX_NUMBERS]]
        return replies + self._track_all(message, numbers, tail, follow_up, only_phone=True)

    @staticmethod
    def _rest_offer(message: Incoming, waybills: list[Waybill]) -> Reply:
        """ "7 numbers: tracking the first 5; the other 2: /track …", with a button that
        tracks them when its payload fits Telegram's 64-byte callback data."""
        rest = [w.number for w in waybills[MAX_NUMBERS:]]
        language = message.language
        text = t(
            "too_many",
            language,
            count=len(waybills),
            limit=MAX_NUMBERS,
            rest=len(rest),
            command="/track " + " ".join(rest),
        )
        action = TRACK_ACTION + ",".join(rest)
        if len(action.encode()) > MAX_ACTION_BYTES:
            return Reply(text=text)
        return Reply(
            text=text, buttons=(Button(t("btn_track_rest", language, rest=len(rest)), action),)
        )

    def refresh(self, message: Incoming, number: str) -> list[Reply]:
        """The refresh button: look again (fresh unless pressed within the cooldown) and
        update the card in place."""
        carrier = next((w.decided for w in find_waybills(number)), None)
        with self._refreshed_lock:
            fresh = number not in self._refreshed
            self._refreshed[number] = True
        outcome = self.lookup.track(
            message.platform, message.user_id, number, carrier, fresh=fresh
        )
        if outcome.needs_tail:
            return [self.ask_tail(message, [outcome], None)]
        self.tails.answered(message, {number})
        replies = self.outcome_replies(message, outcome)
        if replies and replies[0].card is not None:
            replies[0] = replace(replies[0], edit_of=message.message_id)
        return replies

    def _track_all(
        self,
        message: Incoming,
        numbers: list[tuple[str, str | None]],
        tail: str | None,
        follow_up: FollowUp | None,
        *,
        only_phone: bool,
    ) -> list[Reply]:
        """Look each number up; one question for all that still lack a tail."""
        replies: list[Reply] = []
        missing: list[Outcome] = []
        answered: set[str] = set()
        for number, carrier in numbers:
            # A tail typed beside numbers belongs to those whose carrier wants one.
            wanted = tail if not only_phone or (tail and needs_phone(number, carrier)) else None
            outcome = self.lookup.track(message.platform, message.user_id, number, carrier, wanted)
            if outcome.needs_tail:
                missing.append(outcome)
            else:
                answered.add(number)
                replies += self.outcome_replies(message, outcome, follow_up)
        # Any answer for a number closes the question about it (no second paid call later).
        self.tails.answered(message, answered)
        if missing:
            replies.append(self.ask_tail(message, missing, follow_up))
        return replies

    # --- the phone-tail question ----------------------------------------------------------
    def ask_tail(
        self, message: Incoming, missing: list[Outcome], follow_up: FollowUp | None
    ) -> Reply:
        """Ask for the phone tail these lookups need; remember the question (numbers still
        waiting from an earlier question keep waiting)."""
        asked = tuple((o.number, o.carrier) for o in missing)
        earlier = self.tails.get(message)
        if earlier is not None:
            asked += tuple(pair for pair in earlier.numbers if pair not in asked)
        self.tails.open(message, asked, follow_up)
        rejected = next((o for o in missing if o.rejected_tail), None)
        if rejected is not None:
            text = t(
                "tail_wrong", message.language, tail=rejected.rejected_tail, number=rejected.number
            )
            return Reply(text=text)
        carrier = self.lookup.carrier_name(missing[0].carrier, message.language)
        numbers = join((o.number for o in missing), message.language)
        return Reply(text=t("ask_tail", message.language, carrier=carrier, numbers=numbers))

    def open_question(self, message: Incoming) -> TailQuestion | None:
        """The phone-tail question this user has open in this chat, if any."""
        return self.tails.get(message)

    def drop_question(self, message: Incoming) -> None:
        """Forget the open question (new numbers supersede it)."""
        self.tails.close(message)

    def answer_tail(self, message: Incoming, question: TailQuestion, tail: str) -> list[Reply]:
        """Retry the waiting numbers with the tail the user gave."""
        self.drop_question(message)
        return self._track_all(
            message, list(question.numbers), tail, question.follow_up, only_phone=False
        )

    # --- outcomes -------------------------------------------------------------------------
    def outcome_replies(
        self, message: Incoming, outcome: Outcome, follow_up: FollowUp | None = None
    ) -> list[Reply]:
        """The card (or the kind sentence) for one lookup, plus the follow-up's replies."""
        language = message.language
        result = outcome.result
        if outcome.error is not None:
            error = outcome.error
            text = t(error.sentence, language, number=outcome.number, reason=error.reason)
            replies = [Reply(text=text)]
        elif result is not None and result.status == Status.INVALID and not result.events:
            return [Reply(text=t("invalid_number", language, number=outcome.number))]
        else:
            replies = [self._result_reply(message, outcome)]
        return replies + self._run_follow_up(message, outcome, follow_up)

    def _run_follow_up(
        self, message: Incoming, outcome: Outcome, follow_up: FollowUp | None
    ) -> list[Reply]:
        if not isinstance(follow_up, Subscribe) or self.subscriptions is None:
            return []
        # A subscription survives a slow or rationed upstream: the poller fetches it later.
        if outcome.error is not None and not outcome.error.temporary:
            return []
        return self.subscriptions.subscribe(message, outcome, follow_up.tail, follow_up.label)

    def _result_reply(self, message: Incoming, outcome: Outcome) -> Reply:
        language = message.language
        result = outcome.result
        final = result is not None and result.status.is_final
        buttons = self.card_buttons(message, outcome.number, final)
        if result is not None and result.status == Status.NO_RECORD and not result.events:
            name = self.lookup.carrier_name(outcome.carrier, language)
            prefix = f"{name} " if name else ""
            text = t("no_record", language, carrier=prefix, number=outcome.number)
            if result.demo:
                text += "\n" + t("demo_note", language)
            return Reply(text=text, buttons=buttons)
        if result is not None and len(result.events) > CARD_EVENTS:
            buttons += (history_button(outcome.number, language),)
        return Reply(card=self.lookup.card(outcome, language), buttons=buttons)

    def history(
        self, message: Incoming, number: str, carrier: str | None, page: int
    ) -> list[Reply]:
        """One page of the whole timeline of `number` (the cached answer when fresh enough):
        the card shows only the newest events."""
        outcome = self.lookup.track(message.platform, message.user_id, number, carrier)
        if outcome.needs_tail:
            return [self.ask_tail(message, [outcome], None)]
        if outcome.result is None:
            return self.outcome_replies(message, outcome)
        result = outcome.result
        return [history_page(number, result.events, page, message.language, result.demo)]

    def card_buttons(
        self, message: Incoming, number: str, final: bool = False
    ) -> tuple[Button, ...]:
        """Subscribe (or unsubscribe) and refresh, under every tracking card; a delivered
        parcel has nothing left to follow, so it gets no subscribe button."""
        language = message.language
        refresh = Button(t("btn_refresh", language), f"refresh:{number}")
        if self.subscriptions is None:
            return (refresh,)
        if self.subscriptions.is_subscribed(message, number):
            return (Button(t("btn_unsubscribe", language), f"unsub:{number}"), refresh)
        if final:
            return (refresh,)
        return (Button(t("btn_subscribe", language), f"sub:{number}"), refresh)
