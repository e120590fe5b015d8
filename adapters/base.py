"""What every platform adapter offers the web app and the runtime."""

from __future__ import annotations

from typing import Protocol

from flask import Blueprint

from bot.models import Attachment, Incoming
from bot.runtime.ports import Inbox, Sender


class Rejected(Exception):
    """A webhook request we refuse: `status` (400/403/404/413) and a short reason that
    carries no secrets and no request data."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class PlatformAdapter(Protocol):
    """One platform: its webhook routes, its sender, and optional background intake.

    `blueprint` returns the Flask routes (or None when the platform only polls);
    `start_intake` starts long polling / a long connection when no webhook is used, feeding
    the same `Inbox`; `stop` ends it. `one_reply_for` declares a capability the runtime
    needs to know: whether the platform takes a single answer to a message.
    `fetch_attachment` is the platform's side of `bot.runtime.ports.AttachmentSource`.
    """

    name: str

    def blueprint(self, inbox: Inbox) -> Blueprint | None:
        """The webhook routes, handing verified messages to `inbox`; None if none."""
        ...

    def sender(self) -> Sender:
        """The platform's sender (one per adapter, shared by the sender threads)."""
        ...

    def start_intake(self, inbox: Inbox) -> None:
        """Start long polling / a long connection where no webhook is used."""
        ...

    def one_reply_for(self, message: Incoming) -> bool:
        """True when only one reply to `message` can be sent, so the runtime merges the
        engine's replies into one."""
        ...

    def fetch_attachment(self, message: Incoming, attachment: Attachment) -> bytes:
        """Download a picture the message carries (in the worker), within the size cap;
        `AttachmentError` for every expected failure."""
        ...

    def stop(self) -> None:
        """Stop intakes and close clients."""
        ...
