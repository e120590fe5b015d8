"""The conversation engine: routes one normalised message to its handler.

A button press goes to the command handlers, a command (when aimed at the bot) to its
handler, a phone tail to the open question, numbers to the tracking dialogue; in groups it
acts only when addressed unless the group opted in to auto mode. It knows nothing of how a
message arrived or how a reply is drawn, and the handlers it routes to never call back.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.commands import parse_command
from bot.dialogue import TailQuestion, TrackingDialogue
from bot.dialogue.phone_tail import is_cancel, tail_in_reply
from bot.dialogue.photos import PhotoReader, found_line, image_attachments
from bot.dialogue.small_talk import small_talk
from bot.engine_commands import CommandHandlers
from bot.language import ZH, normalise, script_language
from bot.models import Incoming, Reply
from bot.storage.conversation import ConversationStore
from bot.texts import t
from bot.waybills import find_phone_tail, find_waybills

log = logging.getLogger(__name__)

#: Only this much of a message is scanned (a pasted 100 KB log holds no useful waybills).
MAX_TEXT = 20_000


class Engine:
    """Turns an `Incoming` into replies. Collaborators are passed in (see `adapters.assembly`)."""

    def __init__(
        self,
        dialogue: TrackingDialogue,
        commands: CommandHandlers,
        store: ConversationStore,
        photos: PhotoReader | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.commands = commands
        self.store = store
        self.photos = photos

    def handle(self, message: Incoming) -> list[Reply]:
        """All replies to `message` (possibly none). Never raises."""
        try:
            message = replace(message, language=self.language_for(message))
            replies = self._route(message)
        except Exception:
            log.exception("engine failed on %s message %s", message.platform, message.message_id)
            replies = [Reply(text=t("err_internal", message.language))]
        return self._address(message, replies)

    def language_for(self, message: Incoming) -> str:
        """The chat's language (see `bot.language`); a language read from a message is
        remembered for the chat's messages that say nothing (a bare number, "1234")."""
        chosen, seen = self.store.chat_language(message.platform, message.chat_id)
        if chosen:
            return chosen
        platform = normalise(message.language)
        if platform:
            return platform
        read = script_language(message.text[:MAX_TEXT])
        # Group chatter not aimed at the bot is not the bot's conversation: nothing is kept.
        if read and read != seen and (message.addressed or not message.is_group):
            self.store.set_chat_language(message.platform, message.chat_id, read, chosen=False)
        return read or seen or ZH

    def _route(self, message: Incoming) -> list[Reply]:
        if message.action:
            return self.commands.on_action(message)
        text = message.text[:MAX_TEXT]
        if self.photos is not None and image_attachments(message) and not message.edited:
            answered = self._pictures(message, text)
            if answered is not None:
                return answered
        return self._text(message, text)

    def _text(self, message: Incoming, text: str) -> list[Reply]:
        if not text.strip():
            return []
        if message.edited:
            return self._edited(message, text)
        command = parse_command(text)
        if command is not None and (message.addressed or not message.is_group):
            return self.commands.dispatch(message, command)
        if message.is_group and not message.addressed:
            return self._unaddressed_group_text(message, text)
        return self._free_text(message, text, quiet=False)

    def _pictures(self, message: Incoming, text: str) -> list[Reply] | None:
        """Numbers read from the pictures and typed in the caption, tracked together; None
        when the pictures are not to be read (a command caption, or a group message not
        aimed at the bot outside auto mode: the same rule as for text)."""
        assert self.photos is not None
        if parse_command(text) is not None:
            return None
        quiet = message.is_group and not message.addressed
        if quiet and not self.store.auto_mode(message.platform, message.chat_id):
            return None
        read = self.photos.read(message)
        typed = self.dialogue.lookup.detect(text, alone=not quiet) if text.strip() else []
        known = {waybill.number for waybill in typed}
        waybills = typed + [w for w, _source in read.found if w.number not in known]
        language = message.language
        if not waybills:
            if quiet:
                return []
            line = Reply(text=t(read.problem or "photo_nothing", language))
            rest = self._text(message, text) if text.strip() else []
            no_number = t("no_number", language)
            return [line, *(r for r in rest if r.text != no_number)]
        # A picture that failed while the caption named numbers is only logged: the caption
        # answered, and a second line about the picture would read as a second problem.
        said = [Reply(text=found_line(read, language))] if read.found else []
        if self.dialogue.open_question(message):
            self.dialogue.drop_question(message)  # new numbers supersede the question
        return said + self.dialogue.track(message, waybills, find_phone_tail(text))

    def _unaddressed_group_text(self, message: Incoming, text: str) -> list[Reply]:
        """In a group, answer a pending question or, in auto mode, numbers — nothing else."""
        if self.store.auto_mode(message.platform, message.chat_id):
            return self._free_text(message, text, quiet=True)
        question = self.dialogue.open_question(message)
        tail = tail_in_reply(text)
        if question and tail and not find_waybills(text):
            return self.dialogue.answer_tail(message, question, tail)
        return []

    def _edited(self, message: Incoming, text: str) -> list[Reply]:
        """An edit is answered only for numbers the message did not hold before (a fixed
        typo); anything else in it (a reworded sentence, a command) was answered already."""
        quiet_group = message.is_group and not message.addressed
        if quiet_group and not self.store.auto_mode(message.platform, message.chat_id):
            return []
        known = self.store.numbers_seen(message.platform, message.chat_id, message.message_id)
        found = self.dialogue.lookup.detect(text, alone=not quiet_group)
        new = [w for w in found if w.number not in known]
        return self.dialogue.track(message, new, find_phone_tail(text)) if new else []

    def _free_text(self, message: Incoming, text: str, *, quiet: bool) -> list[Reply]:
        # A bare number is a waybill when it is said to the bot (private chat or addressed).
        alone = not message.is_group or message.addressed
        waybills = self.dialogue.lookup.detect(text, alone=alone)
        question = self.dialogue.open_question(message)
        if question and not waybills:
            return self._reply_to_question(message, question, text, quiet=quiet)
        if not waybills:
            return [] if quiet else [self._no_number(message, text)]
        if question:
            # New numbers supersede the open question (a new one is asked if still needed).
            self.dialogue.drop_question(message)
        return self.dialogue.track(message, waybills, find_phone_tail(text))

    def _reply_to_question(
        self, message: Incoming, question: TailQuestion, text: str, *, quiet: bool
    ) -> list[Reply]:
        """A message without numbers while a tail is awaited: the tail (or a full mobile
        number), a cancel, or something unrelated — reminded once, then answered as usual."""
        tail = tail_in_reply(text)
        if tail:
            return self.dialogue.answer_tail(message, question, tail)
        tails = self.dialogue.tails
        if is_cancel(text):
            return [tails.cancel(message, question)]
        if quiet:
            return []
        if text.strip().isdigit():
            return [Reply(text=t("tail_not_understood", message.language))]
        reminder = tails.remind(message, question)
        talk = small_talk(text, message.language)
        if reminder is None:
            return [self._no_number(message, text)]
        return [Reply(text=talk), reminder] if talk else [reminder]

    @staticmethod
    def _no_number(message: Incoming, text: str) -> Reply:
        """Small talk gets its short answer; anything else the "no number found" sentence."""
        return Reply(text=small_talk(text, message.language) or t("no_number", message.language))

    # --- group courtesy ------------------------------------------------------------------
    @staticmethod
    def _address(message: Incoming, replies: list[Reply]) -> list[Reply]:
        """Quote the asker in groups; acknowledge a button press on the first reply."""
        out = []
        for index, reply in enumerate(replies):
            if message.is_group and reply.reply_to is None and reply.edit_of is None:
                reply = replace(reply, reply_to=message.message_id)
            if index == 0 and message.callback_id:
                reply = replace(reply, callback_id=message.callback_id)
            out.append(reply)
        return out
