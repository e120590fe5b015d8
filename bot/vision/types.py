"""What crosses the vision boundary: small frozen results, limits and the one error type."""

from __future__ import annotations

from dataclasses import dataclass

from bot.waybills import Waybill

#: Largest image accepted, in bytes (a phone photo is 1-6 MB; Telegram's largest size ~300 KB).
MAX_BYTES = 10_000_000
#: Largest image accepted, in pixels: 40 MP covers every phone camera; past it a small file is
#: a decompression bomb (a 50 KB PNG can claim 100,000 × 100,000 pixels).
MAX_PIXELS = 40_000_000

REASONS = frozenset({"too_large", "not_an_image", "corrupt", "too_many_pixels"})


@dataclass(frozen=True)
class FoundInImage:
    """One waybill read from an image, and how: ``"barcode"`` or ``"ocr"`` (printed text)."""

    waybill: Waybill
    source: str


@dataclass(frozen=True)
class ImageScan:
    """Everything one image yielded (empty when no number was found) and the wall ms spent."""

    found: tuple[FoundInImage, ...]
    ms: float


@dataclass(frozen=True)
class Limits:
    """Input limits; `from_settings` reads them from the settings object."""

    max_bytes: int = MAX_BYTES
    max_pixels: int = MAX_PIXELS

    @classmethod
    def from_settings(cls, settings) -> Limits:
        """The limits a `bot.settings.Settings` configures (KUAIDI_VISION_MAX_*)."""
        return cls(settings.kuaidi_vision_max_bytes, settings.kuaidi_vision_max_pixels)


class ImageRejected(ValueError):
    """The bytes are not an image this bot reads. ``reason`` is one of ``REASONS``:
    too_large, not_an_image, corrupt, too_many_pixels."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
