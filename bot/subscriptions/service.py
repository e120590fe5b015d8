"""The subscription commands the engine routes here (`SubscriptionCommands`), and `/status`.

`/subscribe <number> [tail] [label] [milestones|all]` — the word `milestones` (or 重要) turns
on "milestones only" (picked up, out for delivery, delivered, problems), `all` (全部) turns it
off; without either word a repeat subscription keeps its choice. No extra command to route.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.lookup import Lookup, Outcome
from bot.models import Button, Incoming, Reply, Target, target_of
from bot.render import local_time
from bot.storage.conversation import ConversationStore
from bot.subscriptions.budget import QUOTA, THROTTLED, Health
from bot.subscriptions.push_state import PushRegistrar, push_counts
from bot.subscriptions.pushes import display_name
from bot.subscriptions.schema import SUB_ACTIVE
from bot.subscriptions.store import NewSubscription, SubscriptionStore
from bot.texts import t
from bot.tracking import Status

#: Queue ("inbox", "outbox") -> (parked rows per reason, the newest parked rows as dicts with
#: id, platform, chat, attempts, park_reason, last_error), for up to n rows per queue.
ParkedSource = Callable[[int], Mapping[str, tuple[Mapping[str, int], list[dict]]]]
#: Parked rows listed per queue in /status (the counts cover all of them).
PARKED_SHOWN = 5

#: Buttons offered by a bare /unsubscribe (a chat follows at most KUAIDI_MAX_SUBSCRIPTIONS).
MAX_CHOICES = 20
MILESTONE_ON = frozenset({"milestones", "milestone", "重要", "仅重要", "只看重要"})
MILESTONE_OFF = frozenset({"all", "全部", "全部动态"})


def split_label(label: str) -> tuple[str, bool | None]:
    """The label without the milestone words, and the milestone choice they made."""
    words, choice = [], None
    for word in label.split():
        folded = word.lower()
        if folded in MILESTONE_ON:
            choice = True
        elif folded in MILESTONE_OFF:
            choice = False
        else:
            words.append(word)
    return " ".join(words), choice


class SubscriptionService:
    """Implements the engine's `SubscriptionCommands` protocol."""

    def __init__(
        self,
        store: SubscriptionStore,
        lookup: Lookup,
        conversations: ConversationStore,
        health: Health,
        *,
        max_subscriptions: int = 50,
        daily_budget: int | None = None,
        parked: ParkedSource | None = None,
        push: PushRegistrar | None = None,
    ) -> None:
        """`push` registers newly followed parcels with a push provider (Kuaidi100)."""
        self.store = store
        self.lookup = lookup
        self.conversations = conversations
        self.health = health
        self.max_subscriptions = max_subscriptions
        self.daily_budget = daily_budget
        self.parked = parked
        self.push = push

    def subscribe(
        self, message: Incoming, outcome: Outcome, tail: str | None, label: str
    ) -> list[Reply]:
        """Follow `outcome.number` in this chat; the card was already sent by the engine."""
        language = message.language
        result = outcome.result
        if result is not None and result.status.is_final:
            name = display_name("", outcome.number)
            return [Reply(text=t("sub_already_final", language, number=name))]
        self.store.unblock_chat(message.platform, message.chat_id)
        tail = (
            tail
            or self.conversations.tail_for(message.platform, message.user_id, outcome.number)
            or self.conversations.any_tail_for(outcome.number)
        )
        clean, milestones = split_label(label or "")
        carrier = outcome.carrier
        new = NewSubscription(
            number=outcome.number,
            carrier=carrier,
            vendor_code=self.lookup.registry.vendor_code(carrier) if carrier else None,
            tail=tail,
            label=clean or None,
            milestones_only=milestones,
            language=language,
            result=result,
            user_name=message.user_name,
        )
        done = self.store.subscribe(target_of(message), new, self.max_subscriptions)
        if done == "over_cap":
            key = "sub_cap_group" if message.is_group else "sub_cap"
            return [Reply(text=t(key, language, cap=self.max_subscriptions))]
        if self.push is not None:
            # Once per parcel: a followed parcel is pushed, no longer polled.
            self.push.register(outcome.number, carrier, tail)
        name = display_name(clean, outcome.number)
        text = t("sub_created" if done == "created" else "sub_updated", language, name=name)
        if message.is_group:
            text += t("sub_group_note", language)
        if milestones:
            text += t("sub_milestones_note", language)
        if result is None:
            text += t("sub_pending_note", language)
        return [Reply(text=text)]

    def unsubscribe(self, message: Incoming, number: str) -> list[Reply]:
        """Stop following `number` in this chat."""
        removed = self.store.unsubscribe(message.platform, message.chat_id, number)
        key = "sub_removed" if removed else "sub_not_found"
        return [Reply(text=t(key, message.language, number=number))]

    def unsubscribe_choices(self, message: Incoming, label: str) -> list[Reply]:
        """Without a label: a button for each followed parcel. With one: unsubscribe the
        parcel so labelled, or buttons when several are; [] when none is."""
        language = message.language
        views = [
            v
            for v in self.store.list_chat(message.platform, message.chat_id)
            if v.state == SUB_ACTIVE
        ]
        if label:
            folded = label.casefold()
            exact = [v for v in views if v.label.casefold() == folded]
            views = exact or [v for v in views if v.label and folded in v.label.casefold()]
            if len(views) == 1:
                return self.unsubscribe(message, views[0].number)
            if not views:
                return []
        elif not views:
            return [Reply(text=t("sub_list_empty", language))]
        buttons = tuple(
            Button(f"🔕 {display_name(v.label, v.number)}", f"unsub:{v.number}")
            for v in views[:MAX_CHOICES]
        )
        key = "unsub_choose_label" if label else "unsub_choose"
        return [Reply(text=t(key, language, count=len(views), label=label), buttons=buttons)]

    def list(self, message: Incoming) -> list[Reply]:
        """The chat's parcels with status and label."""
        language = message.language
        self.store.unblock_chat(message.platform, message.chat_id)
        views = self.store.list_chat(message.platform, message.chat_id)
        if not views:
            return [Reply(text=t("sub_list_empty", language))]
        key = "sub_list_group" if message.is_group else "sub_list_head"
        lines = [t(key, language, count=sum(v.state == SUB_ACTIVE for v in views))]
        for view in views:
            status = Status.coerce(view.status)
            when = f" · {local_time(view.last_event_at)}" if view.last_event_at else ""
            ended = "" if view.state == SUB_ACTIVE else t(f"sub_state_{view.state}", language)
            flag = " ⭐" if view.milestones_only else ""
            lines.append(
                f"{status.emoji} {display_name(view.label, view.number)} "
                f"{status.label(language)}{when}{ended}{flag}"
            )
            if view.last_text:
                lines.append(f"    {view.last_text[:60]}")
        if self.lookup.demo:
            lines.append(t("demo_note", language))
        return [Reply(text="\n".join(lines))]

    def rename(self, message: Incoming, number: str, label: str) -> list[Reply]:
        """Change the label of a followed parcel."""
        ok = self.store.rename(message.platform, message.chat_id, number, label)
        key = "sub_renamed" if ok else "sub_not_found"
        return [Reply(text=t(key, message.language, number=number, label=label[:100]))]

    def is_subscribed(self, message: Incoming, number: str) -> bool:
        """True when this chat follows `number` (the card's button says unsubscribe)."""
        return self.store.is_subscribed(message.platform, message.chat_id, number)

    def on_unreachable(self, target: Target) -> None:
        """The runtime's callback: the chat blocked us, so stop polling for it."""
        self.store.block_chat(target.platform, target.chat_id)

    def status(self, message: Incoming) -> list[Reply]:
        """Admins: calls today, cache hit rate, active subscriptions, quota/upstream problems."""
        language = message.language
        stats = self.lookup.provider.stats
        hits, misses = stats.get("cache_hits", 0), stats.get("cache_misses", 0)
        rate = f"{100 * hits / (hits + misses):.0f}%" if hits + misses else "—"
        counts = self.store.counts()
        budget = str(self.daily_budget) if self.daily_budget else "∞"
        lines = [
            t(
                "sub_status",
                language,
                calls=stats.get("upstream_calls_today", 0),
                billed=stats.get("billed_calls", 0),
                poller=self.health.calls_today(),
                budget=budget,
                rate=rate,
                active=counts.get("subs_active", 0),
                parcels=counts.get("parcels_active", 0),
                due=counts.get("parcels_due", 0),
            )
        ]
        errors = {k[7:]: v for k, v in stats.items() if k.startswith("errors_") and v}
        if errors:
            lines.append(t("sub_status_errors", language, errors=_pairs(errors)))
        for name in (QUOTA, THROTTLED):
            flag = self.health.get(name)
            if flag is not None:
                until = local_time(flag.until) if flag.until else "—"
                since = local_time(flag.since)
                lines.append(t(f"sub_status_{name}", language, since=since, until=until))
        if len(lines) == 1 and not errors:
            lines.append(t("sub_status_ok", language))
        lines += self._provider_lines(stats, language)
        if self.push is not None:
            pushed = push_counts(self.push.db)
            lines.append(t("sub_status_push", language, pairs=_pairs(pushed) if pushed else "—"))
        lines += self._parked_lines(language)
        return [Reply(text="\n".join(lines))]

    def _provider_lines(self, stats: dict, language: str) -> list[str]:
        """With several providers: who answered how often, who rests and why."""
        inner = getattr(self.lookup.provider, "inner", self.lookup.provider)
        health = getattr(inner, "health", None)
        if health is None:
            return []
        calls = stats.get("calls_today") or {}
        lines = []
        for row in health():
            state = ""
            if row.resting_for is not None:
                state = t(
                    "sub_status_provider_resting",
                    language,
                    reason=row.last_error,
                    failures=row.failures_in_row,
                    seconds=round(row.resting_for),
                )
            lines.append(
                t(
                    "sub_status_provider",
                    language,
                    name=row.name,
                    answers=row.answers,
                    calls=calls.get(row.name, 0),
                    state=state,
                )
            )
        if stats.get("failovers"):
            lines.append(t("sub_status_failovers", language, pairs=_pairs(stats["failovers"])))
        return lines

    def _parked_lines(self, language: str) -> list[str]:
        """Per queue with parked rows: the count by reason, then the newest few rows."""
        if self.parked is None:
            return []
        lines = []
        for queue, (reasons, rows) in self.parked(PARKED_SHOWN).items():
            if not reasons:
                continue
            count = sum(reasons.values())
            lines.append(
                t("sub_status_parked", language, queue=queue, count=count, reasons=_pairs(reasons))
            )
            for row in rows:
                error = (row.get("last_error") or "").splitlines()[0:1]
                lines.append(
                    f"  • #{row['id']} {_short(row['chat'], 32)} "
                    f"{row['park_reason'] or '?'} ×{row['attempts']}: {_short(''.join(error), 80)}"
                )
        return lines


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pairs(values: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(values.items()))
