"""The console chat: a REPL against the engine, for trying the bot without any platform.

It calls the engine directly (no HTTP, no inbox), as a private chat with one user. Pushes
from subscriptions reach it through `ConsoleSender`, printed between prompts. `/photo PATH`
sends a local picture down the same path a platform's picture takes (`LocalPictures` is the
console's `AttachmentSource`).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.engine import Engine
from bot.models import Attachment, Incoming, Reply, Target
from bot.render import render_text
from bot.runtime.ports import AttachmentError, RateLimit, SendLimits, SendResult

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
    "/photo 图片路径 读取面单照片或截图；/help 查看命令，/quit 或 Ctrl-D 退出。\n"
)
PHOTO_COMMAND = "/photo"


class LocalPictures:
    """The console's `AttachmentSource`: a picture is a local file, read within the cap."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def fetch_attachment(self, message: Incoming, attachment: Attachment) -> bytes:
        """The file's bytes; `AttachmentError` when it is missing, unreadable or too large."""
        try:
            with Path(attachment.ref).expanduser().open("rb") as file:
                data = file.read(self.max_bytes + 1)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise AttachmentError("not_found", "no such file") from None
        except OSError as exc:
            raise AttachmentError("unavailable", type(exc).__name__) from None
        if len(data) > self.max_bytes:
            raise AttachmentError("too_large", f"over {self.max_bytes} bytes")
        return data


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
        replies = engine.handle(console_message(line, str(count)))
        with lock:
            for reply in replies:
                output.write(render_text(reply) + "\n\n")
            output.flush()
    return 0


def console_message(line: str, message_id: str) -> Incoming:
    """The message a console line is: `/photo PATH` carries the file as a picture."""
    command, _, rest = line.strip().partition(" ")
    if command == PHOTO_COMMAND and rest.strip():
        path = rest.strip().strip("'\"")
        picture = (Attachment("image", path),)
        return Incoming(PLATFORM, CHAT_ID, USER_ID, message_id, "", attachments=picture)
    return Incoming(PLATFORM, CHAT_ID, USER_ID, message_id, line)


def _lines(input: TextIO, output: TextIO, lock: threading.Lock):
    while True:
        with lock:
            output.write("你> ")
            output.flush()
        line = input.readline()
        if not line:
            return
        yield line.rstrip("\n")
