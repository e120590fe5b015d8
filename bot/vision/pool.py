"""A bounded pool for image work, so a burst of photos cannot starve text messages.

Worker threads handle every message; a photo costs up to seconds of CPU (OCR), a text
message milliseconds. `VisionPool` runs scans on its own few threads (KUAIDI_VISION_WORKERS,
default 1: one core) and admits at most ``workers + queue`` of them at once; past that
`submit` raises `VisionBusy` at once, so the caller can retry the message later (back-off)
instead of parking a worker thread behind a queue of photos.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.vision.scan import scan_image
from bot.vision.types import ImageScan, Limits
from bot.waybills.learned import Learned


class VisionBusy(RuntimeError):
    """Every slot of the pool is taken: try this image again later."""


class VisionPool:
    """At most ``workers`` scans run at once, at most ``queue`` more wait for a thread."""

    def __init__(
        self,
        workers: int = 1,
        queue: int = 4,
        limits: Limits | None = None,
        scan: Callable[..., ImageScan] = scan_image,
    ) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("workers must be ≥ 1 and queue ≥ 0")
        self.workers = workers
        self.limits = limits or Limits()
        self._scan = scan
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="vision")

    @classmethod
    def from_settings(cls, settings) -> VisionPool:
        """The pool a `bot.settings.Settings` configures (KUAIDI_VISION_*)."""
        return cls(
            settings.kuaidi_vision_workers,
            settings.kuaidi_vision_queue,
            Limits.from_settings(settings),
        )

    def submit(
        self, data: bytes, *, learned: Learned | None = None, ocr: bool | None = None
    ) -> Future[ImageScan]:
        """Start scanning ``data``; `VisionBusy` when the pool is full. The future raises
        `ImageRejected` for input that is no readable image."""
        if not self._slots.acquire(blocking=False):
            raise VisionBusy(f"{self.workers} image scans running and the queue is full")
        try:
            future = self._executor.submit(
                self._scan, data, learned=learned, ocr=ocr, limits=self.limits
            )
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _done: self._slots.release())
        return future

    def scan(
        self,
        data: bytes,
        *,
        learned: Learned | None = None,
        ocr: bool | None = None,
        timeout: float | None = None,
    ) -> ImageScan:
        """`submit` and wait for the result (`VisionBusy`, `ImageRejected`, TimeoutError)."""
        return self.submit(data, learned=learned, ocr=ocr).result(timeout)

    def close(self) -> None:
        """Finish the running scans and stop the threads."""
        self._executor.shutdown(wait=True, cancel_futures=True)
