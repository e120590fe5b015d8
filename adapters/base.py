"""What every platform adapter offers the web app and the runtime."""

from __future__ import annotations

from typing import Protocol

from flask import Blueprint

from bot.runtime.ports import Inbox, Sender


class PlatformAdapter(Protocol):
    """One platform: its webhook routes, its sender, and optional background intake.

    `blueprint` returns the Flask routes (or None when the platform only polls);
    `start_intake` starts long polling / a long connection when no webhook is used, feeding
    the same `Inbox`; `stop` ends it.
    """

    name: str

    def blueprint(self, inbox: Inbox) -> Blueprint | None: ...

    def sender(self) -> Sender: ...

    def start_intake(self, inbox: Inbox) -> None: ...

    def stop(self) -> None: ...
