"""The phone-tail question as a small explicit state machine, one per (chat, user).

    (none) ──a number needs a tail──▶ ASKED ──unrelated message──▶ REMINDED
      ▲                                 │                              │
      └── closed: the tail (or a full mobile number) was given, every waiting number was
          answered some other way (inline tail, `/track … tail`, refresh), cancel, new
          numbers superseding it, or the timeout (`KUAIDI_TAIL_TIMEOUT`) ──────────────┘

A question is stored in `pending_prompts` (see `bot.dialogue.pending`), so it survives a
restart and is shared by every worker process. The reminder is sent once: after it, an
unrelated message is answered as if nothing were open.
"""

from __future__ import annotations

import re
from dataclasses import replace
from enum import Enum

from bot.dialogue.pending import PHONE_TAIL, FollowUp, TailQuestion
from bot.models import Incoming, Reply
from bot.storage.conversation import ConversationStore
from bot.texts import join, t
from bot.waybills import find_phone_tail
from bot.waybills.normalise import fold

#: A mainland mobile number, alone in the reply (+86 and separators allowed): its last four
#: digits are the tail. Only those four are remembered as the tail and the number is never
#: logged; the message itself stays in the inbox until done rows are purged (3 days).
_MOBILE = re.compile(r"\s*(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})\s*")
#: Words that close the question without an answer.
CANCEL_WORDS = frozenset({"取消", "算了", "不查了", "不用了", "cancel", "never mind", "stop"})


class TailState(Enum):
    """Where the question stands for one (chat, user)."""

    NONE = "none"
    ASKED = "asked"
    REMINDED = "reminded"


def tail_in_reply(text: str) -> str | None:
    """The tail a reply gives: `1234`, `尾号1234`, "last 4 digits 1234", or the last four
    digits of a full mobile number."""
    mobile = _MOBILE.fullmatch(fold(text))
    if mobile:
        return mobile.group(3)
    return find_phone_tail(text)


def is_cancel(text: str) -> bool:
    """True when the reply drops the question ("取消", "cancel", …)."""
    return text.strip().strip("。.!！").lower() in CANCEL_WORDS


class PhoneTailQuestions:
    """Opens, reads, narrows and closes the question of one (chat, user)."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def state(self, message: Incoming) -> tuple[TailState, TailQuestion | None]:
        """The state and the open question (None when closed or expired)."""
        question = self.get(message)
        if question is None:
            return TailState.NONE, None
        return (TailState.REMINDED if question.reminded else TailState.ASKED), question

    def get(self, message: Incoming) -> TailQuestion | None:
        """The open question, if any."""
        found = self.store.get_pending(message.platform, message.chat_id, message.user_id)
        if not found or found[0] != PHONE_TAIL:
            return None
        return TailQuestion.from_payload(found[1])

    def open(
        self,
        message: Incoming,
        numbers: tuple[tuple[str, str | None], ...],
        follow_up: FollowUp | None,
    ) -> TailQuestion:
        """(none|ASKED|REMINDED) → ASKED: remember which numbers wait for a tail."""
        question = TailQuestion(numbers, follow_up)
        self._save(message, question)
        return question

    def close(self, message: Incoming) -> None:
        """→ none."""
        self.store.clear_pending(message.platform, message.chat_id, message.user_id)

    def answered(self, message: Incoming, numbers: set[str]) -> None:
        """These numbers got an answer another way: they no longer wait; with none left
        waiting the question closes (a later "5678" is then not taken as a tail)."""
        question = self.get(message) if numbers else None
        if question is None:
            return
        waiting = tuple(pair for pair in question.numbers if pair[0] not in numbers)
        if not waiting:
            self.close(message)
        elif waiting != question.numbers:
            self._update(message, replace(question, numbers=waiting))

    def remind(self, message: Incoming, question: TailQuestion) -> Reply | None:
        """ASKED → REMINDED with the reminder; REMINDED → REMINDED with nothing to say."""
        if question.reminded:
            return None
        self._update(message, replace(question, reminded=True))
        numbers = join((number for number, _ in question.numbers), message.language)
        return Reply(text=t("tail_reminder", message.language, numbers=numbers))

    def cancel(self, message: Incoming, question: TailQuestion) -> Reply:
        """→ none, saying which numbers are no longer waited for."""
        self.close(message)
        numbers = join((number for number, _ in question.numbers), message.language)
        return Reply(text=t("tail_cancelled", message.language, numbers=numbers))

    def _update(self, message: Incoming, question: TailQuestion) -> None:
        # Narrowed or reminded, the question still expires when the first one asked does.
        self.store.update_pending(
            message.platform, message.chat_id, message.user_id, question.to_payload()
        )

    def _save(self, message: Incoming, question: TailQuestion) -> None:
        self.store.set_pending(
            message.platform, message.chat_id, message.user_id, PHONE_TAIL, question.to_payload()
        )
