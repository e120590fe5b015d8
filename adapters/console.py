"""The console chat: a REPL against the engine, for trying the bot without any platform.

It calls the engine directly (no HTTP, no inbox), as a private chat with one user. Pushes
from subscriptions reach it through `ConsoleSender`, printed between prompts.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.engine import Engine
from bot.models import Incoming, Reply, Target
from bot.render import render_text
from bot.runtime.ports import RateLimit, SendLimits, SendResult

PLATFORM = "console"
CHAT_ID = "console"
USER_ID = "you"

DEMO_BANNER = (
    "⚠️  演示模式 DEMO MODE — 未配置 KUAIDI_APPCODE，物流信息为虚构数据，不是真实查询结果。\n"
    "    Set KUAIDI_APPCODE in .env to query the real tracking API.\n"
)
BANNER = (
    "kuaidi-bot console — 粘贴包含快递单号的消息试试，例如：\n"
    "  帮我查下 SF1524097970481 和 YT1234567890123，谢谢\n"
    "/help 查看命令，/quit 或 Ctrl-D 退出。\n"
)


class ConsoleSender:
    """Prints replies (pushes from the poller) to the console."""

    platform = PLATFORM
    limits = SendLimits(RateLimit(100, 1), RateLimit(100, 1), RateLimit(100, 1))

    def __init__(self, output: TextIO) -> None:
        self.output = output
        self.lock = threading.Lock()

    def send(self, target: Target, reply: Reply, idempotency_key: str) -> SendResult:
        """Print one reply; always succeeds."""
        with self.lock:
            self.output.write("\n" + render_text(reply) + "\n")
            self.output.flush()
        return SendResult(ok=True, message_id=idempotency_key)


def run_console(
    engine: Engine,
    *,
    demo: bool,
    input: TextIO = sys.stdin,
    output: TextIO = sys.stdout,
    sender: ConsoleSender | None = None,
    log_path: Path | None = None,
) -> int:
    """Read lines until EOF or /quit; print each reply. Returns an exit status."""
    lock = sender.lock if sender else threading.Lock()
    with lock:
        output.write((DEMO_BANNER if demo else "") + BANNER)
        if log_path is not None:
            output.write(f"(日志 logs: {log_path})\n")
    for count, line in enumerate(_lines(input, output, lock), start=1):
        if line.strip() in ("/quit", "/exit", "退出"):
            break
        message = Incoming(PLATFORM, CHAT_ID, USER_ID, str(count), line)
        replies = engine.handle(message)
        with lock:
            for reply in replies:
                output.write(render_text(reply) + "\n\n")
            output.flush()
    return 0


def _lines(input: TextIO, output: TextIO, lock: threading.Lock):
    while True:
        with lock:
            output.write("你> ")
            output.flush()
        line = input.readline()
        if not line:
            return
        yield line.rstrip("\n")
