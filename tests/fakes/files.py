"""Files a fake platform API serves (pictures users sent), and how it misbehaves serving them.

Each fake platform (Telegram, WeCom, Feishu) keeps a `FileShelf` and hands its download
requests to `FileShelf.write`. A file is served with its Content-Type and Content-Length, or
`endless` (bytes until the client hangs up, no length: only a cap stops the download), or
`hanging` (no answer until the shelf is closed: only a timeout ends the wait); a key not on
the shelf is a 404.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

#: How long a hanging answer waits at most (the test's client gives up long before).
HANG_SECONDS = 10.0


@dataclass(frozen=True)
class ShelvedFile:
    """One file: its bytes, the type it is served as, and how it is served."""

    data: bytes
    content_type: str = "image/png"
    mode: str = "normal"  # "normal" | "endless" | "hanging"


class FileShelf:
    """Files by key (file id, media id, image key, URL path), with the requests made."""

    def __init__(self) -> None:
        self.files: dict[str, ShelvedFile] = {}
        self.requests: list[str] = []
        self.sent_bytes: dict[str, int] = {}
        self._released = threading.Event()

    def put(self, key: str, data: bytes, content_type: str = "image/png") -> None:
        """Serve `data` under `key`."""
        self.files[key] = ShelvedFile(data, content_type)

    def endless(self, key: str, content_type: str = "image/jpeg") -> None:
        """Serve bytes under `key` without a length, for as long as the client reads."""
        self.files[key] = ShelvedFile(b"", content_type, "endless")

    def hanging(self, key: str) -> None:
        """Answer nothing under `key` until the shelf is closed."""
        self.files[key] = ShelvedFile(b"", "image/png", "hanging")

    def close(self) -> None:
        """Release hanging answers."""
        self._released.set()

    def write(self, handler: BaseHTTPRequestHandler, key: str) -> None:
        """Answer `handler`'s request for `key`."""
        self.requests.append(key)
        shelved = self.files.get(key)
        try:
            if shelved is None:
                _send(handler, 404, b'{"error": "not found"}', "application/json")
            elif shelved.mode == "hanging":
                self._released.wait(HANG_SECONDS)
            elif shelved.mode == "endless":
                self._endless(handler, key, shelved.content_type)
            else:
                _send(handler, 200, shelved.data, shelved.content_type)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what a cap or a timeout does

    def _endless(self, handler: BaseHTTPRequestHandler, key: str, content_type: str) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"\xff" * 65536
        self.sent_bytes[key] = 0
        while not self._released.is_set() and self.sent_bytes[key] < 1_000_000_000:
            handler.wfile.write(chunk)
            self.sent_bytes[key] += len(chunk)


def _send(handler: BaseHTTPRequestHandler, status: int, data: bytes, content_type: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
