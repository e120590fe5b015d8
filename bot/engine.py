"""The conversation engine: one normalised message in, structured replies out.

It routes commands and button presses, finds numbers in free text, runs the phone-tail
dialogue (ask, accept the next message or an inline tail, never ask twice), and gates group
chats (act only when addressed unless the group opted in to auto mode). It knows nothing of
how a message arrived or how a reply is drawn.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.commands import parse_command
from bot.engine_commands import CommandHandlers, SubscriptionCommands
from bot.lookup import Lookup, Outcome, needs_phone
from bot.models import Button, Incoming, Reply
from bot.texts import t
from bot.tracking import Status
from bot.waybills import Waybill, find_phone_tail, find_waybills

log = logging.getLogger(__name__)

#: Numbers tracked from one message; more would flood the chat and cost money.
MAX_NUMBERS = 5
#: Only this much of a message is scanned (a pasted 100 KB log holds no useful waybills).
MAX_TEXT = 20_000
PHONE_TAIL = "phone_tail"


class Engine:
    """Turns an `Incoming` into replies. Collaborators are passed in (see `bot.assembly`)."""

    def __init__(
        self,
        lookup: Lookup,
        subscriptions: SubscriptionCommands | None = None,
        admins: frozenset[str] = frozenset(),
    ) -> None:
        self.lookup = lookup
        self.store = lookup.store
        self.subscriptions = subscriptions
        self.commands = CommandHandlers(self, lookup.registry, subscriptions, admins)

    def attach_subscriptions(self, subscriptions: SubscriptionCommands) -> None:
        """Plug in the subscriptions service (built after the engine: it needs the outbox)."""
        self.subscriptions = subscriptions
        self.commands.subscriptions = subscriptions

    def handle(self, message: Incoming) -> list[Reply]:
        """All replies to `message` (possibly none). Never raises."""
        try:
            replies = self._route(message)
        except Exception:
            log.exception("engine failed on %s message %s", message.platform, message.message_id)
            replies = [Reply(text=t("err_internal", message.language))]
        return self._address(message, replies)

    def _route(self, message: Incoming) -> list[Reply]:
        if message.action:
            return self.commands.on_action(message)
        text = message.text[:MAX_TEXT]
        if not text.strip():
            return []
        command = parse_command(text)
        if command is not None and (message.addressed or not message.is_group):
            return self.commands.dispatch(message, command)
        if message.is_group and not message.addressed:
            return self._unaddressed_group_text(message, text)
        return self._free_text(message, text, quiet=False)

    def _unaddressed_group_text(self, message: Incoming, text: str) -> list[Reply]:
        """In a group, answer a pending question or, in auto mode, numbers — nothing else."""
        if self.store.auto_mode(message.platform, message.chat_id):
            return self._free_text(message, text, quiet=True)
        pending = self._pending(message)
        tail = find_phone_tail(text)
        if pending and tail and not find_waybills(text):
            return self._answer_tail(message, pending, tail)
        return []

    def _free_text(self, message: Incoming, text: str, *, quiet: bool) -> list[Reply]:
        waybills = find_waybills(text)
        tail = find_phone_tail(text)
        pending = self._pending(message)
        if pending and not waybills:
            if tail:
                return self._answer_tail(message, pending, tail)
            if not quiet and text.strip().isdigit():
                return [Reply(text=t("tail_not_understood", message.language))]
        if not waybills:
            return [] if quiet else [Reply(text=t("no_number", message.language))]
        if pending:
            # New numbers supersede the open question (a new one is asked if still needed).
            self.store.clear_pending(message.platform, message.chat_id, message.user_id)
        return self.track_numbers(message, waybills, tail)

    # --- tracking and the phone-tail dialogue ---------------------------------------------
    def track_numbers(
        self,
        message: Incoming,
        waybills: list[Waybill],
        tail: str | None = None,
        then: dict | None = None,
    ) -> list[Reply]:
        """Track up to MAX_NUMBERS numbers; ask once for a phone tail where one is missing.

        `then` is a follow-up to run after a successful lookup (e.g. subscribe with a label),
        kept in the pending prompt so it survives the question."""
        replies: list[Reply] = []
        if len(waybills) > MAX_NUMBERS:
            replies.append(
                Reply(t("too_many", message.language, count=len(waybills), limit=MAX_NUMBERS))
            )
        missing: list[Outcome] = []
        for waybill in waybills[:MAX_NUMBERS]:
            wanted = tail if tail and needs_phone(waybill.number, waybill.carrier) else None
            outcome = self.lookup.track(
                message.platform, message.user_id, waybill.number, waybill.carrier, wanted
            )
            if outcome.needs_tail:
                missing.append(outcome)
                continue
            replies += self.outcome_replies(message, outcome, then)
        if missing:
            replies.append(self.ask_tail(message, missing, then))
        return replies

    def outcome_replies(
        self, message: Incoming, outcome: Outcome, then: dict | None = None
    ) -> list[Reply]:
        """The card (or the kind sentence) for one lookup, plus any follow-up's replies."""
        language = message.language
        result = outcome.result
        if outcome.error is not None:
            replies = [Reply(text=self._error_text(outcome, language))]
        elif result is not None and result.status == Status.INVALID and not result.events:
            return [Reply(text=t("invalid_number", language, number=outcome.number))]
        else:
            replies = [self._result_reply(message, outcome)]
        # A subscription survives a slow upstream: the poller will fetch the state later.
        transient = outcome.error is None or getattr(outcome.error, "user_message_key", "") in (
            "quota",
            "throttled",
            "unavailable",
        )
        wants = then and then.get("action") == "subscribe"
        if wants and transient and self.subscriptions is not None:
            replies += self.subscriptions.subscribe(
                message, outcome, then.get("tail"), then.get("label", "")
            )
        return replies

    def _result_reply(self, message: Incoming, outcome: Outcome) -> Reply:
        language = message.language
        result = outcome.result
        final = result is not None and result.status.is_final
        buttons = self.card_buttons(message, outcome.number, final)
        if result is not None and result.status == Status.NO_RECORD and not result.events:
            name = self.lookup.carrier_name(outcome.carrier)
            prefix = f"{name} " if name else ""
            text = t("no_record", language, carrier=prefix, number=outcome.number)
            return Reply(text=text, buttons=buttons)
        return Reply(card=self.lookup.card(outcome, language), buttons=buttons)

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

    def ask_tail(self, message: Incoming, missing: list[Outcome], then: dict | None) -> Reply:
        """Ask for the phone tail these lookups need; remember the question (and `then`)."""
        payload = {"numbers": [[o.number, o.carrier] for o in missing], "then": then}
        self.store.set_pending(
            message.platform, message.chat_id, message.user_id, PHONE_TAIL, payload
        )
        rejected = next((o for o in missing if o.rejected_tail), None)
        if rejected is not None:
            text = t(
                "tail_wrong", message.language, tail=rejected.rejected_tail, number=rejected.number
            )
            return Reply(text=text)
        carrier = self.lookup.carrier_name(missing[0].carrier)
        numbers = "、".join(o.number for o in missing)
        return Reply(text=t("ask_tail", message.language, carrier=carrier, numbers=numbers))

    def _pending(self, message: Incoming) -> dict | None:
        found = self.store.get_pending(message.platform, message.chat_id, message.user_id)
        return found[1] if found and found[0] == PHONE_TAIL else None

    def _answer_tail(self, message: Incoming, pending: dict, tail: str) -> list[Reply]:
        self.store.clear_pending(message.platform, message.chat_id, message.user_id)
        waybills = [Waybill(number, ()) for number, _carrier in pending["numbers"]]
        carriers = dict(pending["numbers"])
        replies: list[Reply] = []
        missing: list[Outcome] = []
        for waybill in waybills:
            outcome = self.lookup.track(
                message.platform, message.user_id, waybill.number, carriers[waybill.number], tail
            )
            if outcome.needs_tail:
                missing.append(outcome)
            else:
                replies += self.outcome_replies(message, outcome, pending.get("then"))
        if missing:
            replies.append(self.ask_tail(message, missing, pending.get("then")))
        return replies

    @staticmethod
    def _error_text(outcome: Outcome, language: str) -> str:
        error = outcome.error
        key = getattr(error, "user_message_key", "unavailable")
        if key == "business":
            reason = str(getattr(error, "msg", "") or error)[:200]
            return t("err_business", language, number=outcome.number, reason=reason)
        if key == "invalid_number":
            return t("invalid_number", language, number=outcome.number)
        sentence = {"quota": "err_quota", "throttled": "err_throttled", "config": "err_config"}
        return t(sentence.get(key, "err_unavailable"), language, number=outcome.number)

    # --- group courtesy ------------------------------------------------------------------
    @staticmethod
    def _address(message: Incoming, replies: list[Reply]) -> list[Reply]:
        """Quote the asker in groups; acknowledge a button press on the first reply."""
        out = []
        for index, reply in enumerate(replies):
            if message.is_group and reply.reply_to is None and reply.edit_of is None:
                reply = replace(reply, reply_to=message.message_id)
            if index == 0 and message.callback_id:
                reply = replace(reply, meta={**reply.meta, "callback_id": message.callback_id})
            out.append(reply)
        return out
