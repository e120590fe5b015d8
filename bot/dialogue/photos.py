"""Reading waybill numbers from the pictures that came with a message.

Each picture is fetched through its platform's `AttachmentSource` (the adapter's download
calls, run here in the worker), scanned by the injected scanner (`bot.vision` on its bounded
pool: barcodes, then printed text), and forgotten: the bytes live only in memory for the scan.
What was read goes to the tracking dialogue like typed numbers; when nothing was read, the
first failure decides the one sentence the user gets (too large, not a picture, expired …).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.models import Attachment, Incoming
from bot.runtime.ports import AttachmentError, AttachmentSource
from bot.texts import join, t
from bot.vision import FoundInImage, ImageRejected, ImageScan, VisionBusy
from bot.waybills import Waybill

log = logging.getLogger(__name__)

#: Attachment kinds that are pictures (Telegram photos and image documents, WeCom and Feishu
#: images); other files (PDFs, voice) are not read.
IMAGE_KINDS = frozenset({"photo", "image"})
#: Pictures read per message: an album of ten is not ten scans' worth of CPU.
MAX_IMAGES = 4
#: bytes → the waybills in the picture (`bot.vision.VisionPool.scan` in production); raises
#: `ImageRejected`, `VisionBusy` or TimeoutError.
Scanner = Callable[[bytes], ImageScan]


@dataclass(frozen=True)
class PhotoRead:
    """What a message's pictures yielded: waybills with how each was read ("barcode"/"ocr"),
    and the text key of the first failure (None when every picture was read)."""

    found: tuple[tuple[Waybill, str], ...] = ()
    problem: str | None = None
    images: int = 0


def image_attachments(message: Incoming) -> list[Attachment]:
    """The message's pictures, in order."""
    return [a for a in message.attachments if a.kind in IMAGE_KINDS]


class PhotoReader:
    """Fetches and scans the pictures of a message (see the module docstring)."""

    def __init__(
        self,
        sources: Mapping[str, AttachmentSource],
        scan: Scanner,
        *,
        max_images: int = MAX_IMAGES,
    ) -> None:
        self.sources = sources
        self.scan = scan
        self.max_images = max_images

    def read(self, message: Incoming) -> PhotoRead:
        """Every waybill in the message's pictures (de-duplicated, first source kept)."""
        images = image_attachments(message)[: self.max_images]
        found: dict[str, tuple[Waybill, str]] = {}
        problems: list[str] = []
        for attachment in images:
            items, problem = self._read_one(message, attachment)
            for item in items:
                found.setdefault(item.waybill.number, (item.waybill, item.source))
            if problem:
                problems.append(problem)
        return PhotoRead(tuple(found.values()), problems[0] if problems else None, len(images))

    def _read_one(
        self, message: Incoming, attachment: Attachment
    ) -> tuple[tuple[FoundInImage, ...], str | None]:
        source = self.sources.get(message.platform)
        if source is None:
            return (), "photo_unavailable"
        try:
            data = source.fetch_attachment(message, attachment)
        except AttachmentError as exc:
            log.info("picture not fetched: %s", exc.reason)
            return (), f"photo_{exc.reason}"
        except Exception:  # noqa: BLE001 - a broken download must not lose the message
            log.exception("picture download failed")
            return (), "photo_unavailable"
        return self._scan(data)

    def _scan(self, data: bytes) -> tuple[tuple[FoundInImage, ...], str | None]:
        try:
            scan = self.scan(data)
        except ImageRejected as exc:
            log.info("picture refused: %s", exc.reason)
            return (), f"photo_{exc.reason}"
        except VisionBusy:
            # Every slot of the pool is taken: the user is told to send it again rather than
            # the row waiting (it would hold up this chat's later text messages).
            log.warning("picture not scanned: the vision pool is full")
            return (), "photo_busy"
        except TimeoutError:
            log.warning("picture scan timed out")
            return (), "photo_failed"
        except Exception:  # noqa: BLE001 - a decoder fault must not lose the message
            log.exception("picture scan failed")
            return (), "photo_failed"
        log.info("picture scanned in %.0f ms: %d found", scan.ms, len(scan.found))
        return tuple(scan.found), None


def found_line(read: PhotoRead, language: str) -> str:
    """ "📷 图片里识别到：SF1524097970481（条码）" for every number read."""
    items = [
        f"{waybill.number}{_bracket(t(f'photo_source_{source}', language), language)}"
        for waybill, source in read.found
    ]
    return t("photo_found", language, found=join(items, language))


def _bracket(word: str, language: str) -> str:
    return f" ({word})" if language.startswith("en") else f"（{word}）"
