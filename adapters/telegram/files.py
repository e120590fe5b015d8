"""Downloading the pictures users send: `getFile`, then the file URL, into memory.

Called by the worker (never in a webhook request) through `TelegramAdapter.fetch_attachment`.
Plain httpx rather than PTB's `Bot.get_file`: PTB builds the download URL from its own file
base (api.telegram.org), not from TELEGRAM_API_BASE, and reads the whole file without a cap.
The token is part of both URLs; the bridge has registered it with the log masker.
"""

from __future__ import annotations

import httpx

from adapters.downloads import download, require_picture
from bot.runtime.ports import AttachmentError

#: What getFile says for files the Bot API will not serve (over 20 MB) and for unknown ids.
_TOO_BIG = "file is too big"


class TelegramFiles:
    """getFile + download for one bot token against one API base."""

    def __init__(self, api_base: str, token: str, max_bytes: int, timeout: float) -> None:
        self._base = api_base.rstrip("/")
        self._token = token
        self.max_bytes = max_bytes
        self.timeout = timeout
        self._http = httpx.Client(timeout=timeout)

    def fetch(self, file_id: str) -> bytes:
        """The file's bytes; `AttachmentError` when Telegram cannot or will not serve it."""
        path = self._file_path(file_id)
        url = f"{self._base}/file/bot{self._token}/{path.lstrip('/')}"
        got = download(self._http, url, max_bytes=self.max_bytes, timeout=self.timeout)
        return require_picture(got)

    def _file_path(self, file_id: str) -> str:
        try:
            response = self._http.post(
                f"{self._base}/bot{self._token}/getFile", json={"file_id": file_id}
            )
            answer = response.json()
        except httpx.TimeoutException:
            raise AttachmentError("timeout", "getFile") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise AttachmentError("unavailable", f"getFile: {type(exc).__name__}") from None
        if not isinstance(answer, dict) or not answer.get("ok"):
            description = str(answer.get("description", "")) if isinstance(answer, dict) else ""
            if _TOO_BIG in description.lower():
                raise AttachmentError("too_large", "getFile: over the Bot API's 20 MB")
            if response.status_code == 400:
                raise AttachmentError("not_found", "getFile refused the file id")
            raise AttachmentError("unavailable", f"getFile HTTP {response.status_code}")
        result = answer.get("result") or {}
        size = result.get("file_size")
        if isinstance(size, int) and size > self.max_bytes:
            raise AttachmentError("too_large", f"{size} bytes")
        path = result.get("file_path")
        if not isinstance(path, str) or not path:
            raise AttachmentError("not_found", "getFile gave no file_path")
        return path

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()
