"""`adapters.downloads.download` against a real HTTP server: the cap, the status codes, the
declared types, and platform JSON error answers handed back to the caller."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from adapters.downloads import download, require_picture
from bot.runtime.ports import AttachmentError
from tests.fakes.files import FileShelf


@pytest.fixture
def shelf() -> Iterator[tuple[FileShelf, str]]:
    """A file server on 127.0.0.1 serving a `FileShelf` at /<key>; (shelf, base URL)."""
    files = FileShelf()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path == "/error-json":
                data = b'{"code": 99991663, "msg": "invalid token"}'
                self.send_response(400)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if self.path == "/error-html":
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            files.write(self, self.path.lstrip("/"))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield files, f"http://127.0.0.1:{server.server_address[1]}"
    files.close()
    server.shutdown()
    server.server_close()


def fetch(url: str, max_bytes: int = 1000, timeout: float = 2.0):
    with httpx.Client() as http:
        return download(http, url, max_bytes=max_bytes, timeout=timeout)


def test_a_picture_within_the_cap(shelf):
    files, base = shelf
    files.put("a", b"\x89PNG" + b"x" * 996, "image/png")

    got = fetch(f"{base}/a")

    assert (len(got.data), got.content_type, got.status) == (1000, "image/png", 200)
    assert require_picture(got) == got.data


def test_a_declared_length_past_the_cap_is_refused_unread(shelf):
    files, base = shelf
    files.put("big", b"x" * 1001)

    with pytest.raises(AttachmentError) as refused:
        fetch(f"{base}/big")

    assert refused.value.reason == "too_large"


def test_an_endless_body_stops_past_the_cap(shelf):
    files, base = shelf
    files.endless("endless")

    with pytest.raises(AttachmentError) as refused:
        fetch(f"{base}/endless", max_bytes=300_000)

    assert refused.value.reason == "too_large"


@pytest.mark.parametrize(
    ("path", "reason"), [("/missing", "not_found"), ("/error-html", "unavailable")]
)
def test_error_statuses(shelf, path, reason):
    _, base = shelf
    with pytest.raises(AttachmentError) as refused:
        fetch(base + path)
    assert refused.value.reason == reason


def test_a_json_error_answer_is_handed_back_and_is_no_picture(shelf):
    _, base = shelf

    got = fetch(f"{base}/error-json")

    assert (got.status, got.is_json) == (400, True)
    with pytest.raises(AttachmentError):
        require_picture(got)


@pytest.mark.parametrize("kind", ["application/pdf", "text/html", "text/plain"])
def test_types_no_picture_has_are_refused(shelf, kind):
    files, base = shelf
    files.put("f", b"%PDF-1.4", kind)

    with pytest.raises(AttachmentError) as refused:
        require_picture(fetch(f"{base}/f"))

    assert refused.value.reason == "not_an_image"


def test_a_server_that_never_answers_times_out(shelf):
    files, base = shelf
    files.hanging("h")

    with pytest.raises(AttachmentError) as refused:
        fetch(f"{base}/h", timeout=0.3)

    assert refused.value.reason == "timeout"
