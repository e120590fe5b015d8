"""Fetching a picture from a chat platform into memory: streamed, capped, timed.

Every adapter's `fetch_attachment` ends here. The body is read in chunks and the download
stops as soon as it passes the cap (a declared Content-Length past it stops it before the
first byte), so a huge or endless file costs at most the cap in memory; nothing is written to
disk. The whole download has one deadline, not only one per read: a server dripping a byte a
second cannot hold a worker thread. Failures become `AttachmentError` with the reason the user
is told (too large, not found, timeout, unavailable).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from bot.runtime.ports import AttachmentError
from bot.settings import Settings

#: Content types that may carry a picture: image/*, or what platforms send for any file.
_NEUTRAL_TYPES = ("application/octet-stream", "binary/octet-stream", "")
CHUNK = 64 * 1024


def picture_cap(settings: Settings) -> int:
    """The largest picture downloaded, in bytes: the size bot.vision reads at most."""
    return settings.kuaidi_vision_max_bytes


@dataclass(frozen=True)
class Downloaded:
    """A fetched body, the content type the server declared (lower case, no parameters) and
    the HTTP status (an error status only for a JSON body: the platform's error answer)."""

    data: bytes
    content_type: str
    status: int = 200

    @property
    def is_json(self) -> bool:
        """A JSON body: on WeCom and Feishu that is an error answer, not the file."""
        return self.content_type in ("application/json", "text/json") or (
            self.content_type.startswith("text/plain") and self.data[:1] == b"{"
        )


def download(
    http: httpx.Client,
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Downloaded:
    """GET `url` into memory (at most `max_bytes`, within `timeout` seconds in all)."""
    deadline = time.monotonic() + timeout
    try:
        with http.stream(
            "GET", url, params=params, headers=headers, timeout=timeout, follow_redirects=True
        ) as response:
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            _check_status(response, kind)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise AttachmentError("too_large", f"{declared} bytes declared")
            data = _read_capped(response, max_bytes, deadline)
            return Downloaded(data, kind, response.status_code)
    except httpx.TimeoutException:
        raise AttachmentError("timeout") from None
    except httpx.HTTPError as exc:
        raise AttachmentError("unavailable", type(exc).__name__) from None


def _check_status(response: httpx.Response, kind: str) -> None:
    """404/410 is gone; another error is the caller's to read when it is JSON (WeCom and
    Feishu say why there, e.g. an expired token), else unavailable."""
    if response.status_code in (404, 410):
        raise AttachmentError("not_found", f"HTTP {response.status_code}")
    if response.status_code >= 400 and kind != "application/json":
        raise AttachmentError("unavailable", f"HTTP {response.status_code}")


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes(CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise AttachmentError("too_large", f"over {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise AttachmentError("timeout", "download too slow")
    return bytes(body)


def require_picture(download: Downloaded) -> bytes:
    """The body, unless the server declared a type no picture has (text, PDF, HTML …)."""
    kind = download.content_type
    if download.status >= 400:
        raise AttachmentError("unavailable", f"HTTP {download.status}")
    if kind.startswith("image/") or kind in _NEUTRAL_TYPES:
        return download.data
    raise AttachmentError("not_an_image", f"served as {kind}")
