"""Pictures for the picture-path tests, and the scanner that reads them.

Until bot.vision lands this is a stand-in with its interface (`scan(bytes) -> ImageScan`,
`ImageRejected` with a reason): a "barcode" is the bytes ``BARCODE:<number>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.waybills import Waybill, find_waybills

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass(frozen=True)
class Found:
    waybill: Waybill
    source: str


@dataclass(frozen=True)
class Scan:
    found: tuple[Found, ...]
    ms: float = 1.0


class Rejected(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def barcode_image(number: str) -> bytes:
    """A picture of a label whose barcode holds `number`."""
    return b"BARCODE:" + number.encode()


def blank_image() -> bytes:
    """A picture with no number on it."""
    return b"BARCODE:"


def corrupt_image() -> bytes:
    """A picture cut off in the middle."""
    return b"\x89PNG\r\n\x1a\n\x00\x00"


def scanner():
    """The scan function the application uses."""

    def scan(data: bytes) -> Scan:
        if data.startswith(b"BARCODE:"):
            found = find_waybills(data[8:].decode(), alone=True)
            return Scan(tuple(Found(w, "barcode") for w in found))
        if data.startswith(b"\x89PNG"):
            raise Rejected("corrupt")
        raise Rejected("not_an_image")

    return scan
