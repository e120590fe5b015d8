"""Command and button handlers of the engine: help, track, carriers, auto mode, and the
routing of subscription commands to the subscriptions service. Tracking itself (lookups,
the phone-tail question, cards) is the dialogue's: the handlers receive it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.carriers import Registry
from bot.carriers.names import display_name
from bot.commands import Command
from bot.dialogue import Subscribe, SubscriptionCommands, TrackingDialogue
from bot.models import Incoming, Reply
from bot.storage.conversation import ConversationStore
from bot.texts import t
from bot.timeline import HISTORY_ACTION, page_number, parse_history_action
from bot.waybills import Waybill, canonical, find_waybills

#: What `/lang` accepts for each language, and for "follow the messages".
LANG_WORDS = {
    "zh": ("zh", "cn", "chinese", "中文", "汉语"),
    "en": ("en", "english", "英文", "英语"),
}
AUTO_WORDS = ("auto", "自动")
_TAIL = re.compile(r"^\d{4}$")
_PLAUSIBLE_NUMBER = re.compile(r"^[A-Z0-9]{6,40}$")


@dataclass(frozen=True)
class NumberArgs:
    """`<number> [tail] [words…]` as typed after a command."""

    waybill: Waybill
    tail: str | None
    rest: str


def parse_number_args(args: str) -> NumberArgs | None:
    """Read a number (in any spelling detection accepts, else one plausible token), an
    optional 4-digit tail and the remaining words."""
    words = args.split()
    if not words:
        return None
    found = find_waybills(args, asked=True)  # a command to track is intent in itself
    waybill = found[0] if found else None
    used = 0
    if waybill is not None:
        prefixes = (canonical("".join(words[:i])) for i in range(1, len(words) + 1))
        used = next((i for i, text in enumerate(prefixes, 1) if waybill.number in text), 1)
    else:
        token = canonical(words[0])
        if not _PLAUSIBLE_NUMBER.match(token):
            return None
        waybill, used = Waybill(token, ()), 1
    rest = words[used:]
    tail = rest.pop(0) if rest and _TAIL.match(canonical(rest[0])) else None
    return NumberArgs(waybill, canonical(tail) if tail else None, " ".join(rest))


class CommandHandlers:
    """One method per command; `dispatch` picks it."""

    def __init__(
        self,
        dialogue: TrackingDialogue,
        registry: Registry,
        store: ConversationStore,
        subscriptions: SubscriptionCommands | None,
        admins: frozenset[str],
    ) -> None:
        self.dialogue = dialogue
        self.registry = registry
        self.store = store
        self.subscriptions = subscriptions
        self.admins = admins

    def dispatch(self, message: Incoming, command: Command) -> list[Reply]:
        """Run `command` for `message`."""
        handler = getattr(self, f"cmd_{command.name}", None)
        if handler is None:
            return [Reply(text=t("unknown_command", message.language))]
        return handler(message, command)

    def on_action(self, message: Incoming) -> list[Reply]:
        """A button press: `sub:`, `unsub:` or `refresh:` followed by a number,
        `history:<number>:<page>`, or `track:` followed by the numbers a long message left
        over."""
        kind, _, payload = (message.action or "").partition(":")
        if kind == HISTORY_ACTION:
            number, page = parse_history_action(payload)
            return self._history(message, canonical(number), page)
        if kind == "track":
            return self.cmd_track(message, Command("track", payload.replace(",", " ")))
        number = canonical(payload)
        if not number:
            return []
        if kind == "refresh":
            return self.dialogue.refresh(message, number)
        name = {"sub": "subscribe", "unsub": "unsubscribe"}.get(kind)
        if name is None:
            return []
        return self.dispatch(message, Command(name, number))

    def cmd_help(self, message: Incoming, command: Command) -> list[Reply]:
        """/start and /help; `/start <number>` (a deep link) tracks that number."""
        if command.args and find_waybills(command.args):
            return self.cmd_track(message, command)
        text = t("help", message.language)
        if message.is_group:
            text += t("group_help_suffix", message.language)
        return [Reply(text=text)]

    def cmd_track(self, message: Incoming, command: Command) -> list[Reply]:
        """/track <number> [tail]; several numbers are fine too."""
        found = find_waybills(command.args, asked=True)
        if len(found) > 1:
            return self.dialogue.track(message, found)
        parsed = parse_number_args(command.args)
        if parsed is None:
            return [Reply(text=t("track_usage", message.language))]
        return self.dialogue.track(message, [parsed.waybill], parsed.tail)

    def cmd_history(self, message: Incoming, command: Command) -> list[Reply]:
        """/history <number> [page]: the whole timeline, a page at a time."""
        parsed = parse_number_args(command.args)
        if parsed is None:
            return [Reply(text=t("history_usage", message.language))]
        words = parsed.rest.split()
        page = (page_number(words[0]) if words else None) or 1
        return self._history(message, parsed.waybill.number, page, parsed.waybill.carrier)

    def _history(
        self, message: Incoming, number: str, page: int, carrier: str | None = None
    ) -> list[Reply]:
        if not number:
            return []
        if carrier is None:
            carrier = next((w.carrier for w in find_waybills(number)), None)
        return self.dialogue.history(message, number, carrier, page)

    def cmd_carriers(self, message: Incoming, command: Command) -> list[Reply]:
        """/carriers <keyword> [page]: the registry, paged."""
        words = command.words
        page = page_number(words[-1]) if len(words) > 1 else None
        if page is not None:
            words.pop()
        keyword = " ".join(words)
        if not keyword:
            return [Reply(text=t("carriers_usage", message.language))]
        result = self.registry.search(keyword, page=page or 1, per_page=10)
        if result.count and not result.items:  # a page past the end: show the last one
            result = self.registry.search(keyword, page=result.pagecount, per_page=10)
        if not result.items:
            return [Reply(text=t("carriers_none", message.language, keyword=keyword))]
        language = message.language
        lines = [
            f"{display_name(c, language)} ({c.code})" + (f" ☎ {c.phone}" if c.phone else "")
            for c in result.items
        ]
        more = ""
        if result.page < result.pagecount:
            more = t("carriers_more", message.language, keyword=keyword, next=result.page + 1)
        lines.append(
            t(
                "carriers_page",
                message.language,
                page=result.page,
                pagecount=result.pagecount,
                count=result.count,
                more=more,
            )
        )
        return [Reply(text="\n".join(lines))]

    def cmd_lang(self, message: Incoming, command: Command) -> list[Reply]:
        """/lang zh|en|auto: the chat's reply language (auto: follow the messages)."""
        choice = command.args.strip().lower()
        language = next((code for code, words in LANG_WORDS.items() if choice in words), None)
        if language is None and choice not in AUTO_WORDS:
            return [Reply(text=t("lang_usage", message.language))]
        self.store.set_chat_language(message.platform, message.chat_id, language, chosen=True)
        if language is None:
            return [Reply(text=t("lang_auto", message.language))]
        return [Reply(text=t("lang_set", language))]

    def cmd_cancel(self, message: Incoming, command: Command) -> list[Reply]:
        """/cancel: stop waiting for a phone tail (typing 取消 or cancel does the same)."""
        question = self.dialogue.open_question(message)
        if question is None:
            return [Reply(text=t("nothing_to_cancel", message.language))]
        return [self.dialogue.tails.cancel(message, question)]

    def cmd_auto(self, message: Incoming, command: Command) -> list[Reply]:
        """/auto on|off: a group opts in to having every message scanned."""
        if not message.is_group:
            return [Reply(text=t("group_only", message.language))]
        choice = command.args.strip().lower()
        if choice in ("on", "开", "开启", "1"):
            self.store.set_auto_mode(message.platform, message.chat_id, True)
            return [Reply(text=t("auto_on", message.language))]
        if choice in ("off", "关", "关闭", "0"):
            self.store.set_auto_mode(message.platform, message.chat_id, False)
            return [Reply(text=t("auto_off", message.language))]
        return [Reply(text=t("auto_usage", message.language))]

    # --- subscriptions (behaviour lives in bot.subscriptions) ------------------------------
    def cmd_subscribe(self, message: Incoming, command: Command) -> list[Reply]:
        """/subscribe <number> [tail] [label]: track now (asking for a tail if needed), then
        subscribe with the current state."""
        if self.subscriptions is None:
            return [Reply(text=t("subs_unavailable", message.language))]
        parsed = parse_number_args(command.args)
        if parsed is None:
            return [Reply(text=t("subscribe_usage", message.language))]
        follow_up = Subscribe(label=parsed.rest, tail=parsed.tail)
        return self.dialogue.track(message, [parsed.waybill], parsed.tail, follow_up)

    def cmd_unsubscribe(self, message: Incoming, command: Command) -> list[Reply]:
        """/unsubscribe <number or label>; bare: a button for each followed parcel."""
        if self.subscriptions is None:
            return [Reply(text=t("subs_unavailable", message.language))]
        args = command.args.strip()
        parsed = parse_number_args(args) if args else None
        if parsed is not None and self.subscriptions.is_subscribed(message, parsed.waybill.number):
            return self.subscriptions.unsubscribe(message, parsed.waybill.number)
        choices = self.subscriptions.unsubscribe_choices(message, args)
        if choices:
            return choices
        if parsed is not None:  # a number nobody here follows: say so
            return self.subscriptions.unsubscribe(message, parsed.waybill.number)
        return [Reply(text=t("unsub_no_match", message.language, label=args))]

    def cmd_list(self, message: Incoming, command: Command) -> list[Reply]:
        """/list: the chat's followed parcels."""
        if self.subscriptions is None:
            return [Reply(text=t("subs_unavailable", message.language))]
        return self.subscriptions.list(message)

    def cmd_rename(self, message: Incoming, command: Command) -> list[Reply]:
        """/rename <number> <label>."""
        if self.subscriptions is None:
            return [Reply(text=t("subs_unavailable", message.language))]
        parsed = parse_number_args(command.args)
        if parsed is None or not parsed.rest:
            return [Reply(text=t("rename_usage", message.language))]
        return self.subscriptions.rename(message, parsed.waybill.number, parsed.rest)

    def cmd_status(self, message: Incoming, command: Command) -> list[Reply]:
        """/status (admins): upstream usage and subscription health."""
        if f"{message.platform}:{message.user_id}" not in self.admins:
            return [Reply(text=t("admins_only", message.language))]
        if self.subscriptions is None:
            return [Reply(text=t("subs_unavailable", message.language))]
        return self.subscriptions.status(message)
