"""Reading waybill numbers from images: barcodes (zxing-cpp), then printed text (OCR).

The public interface: `scan_image(bytes) -> ImageScan` with the `FoundInImage` waybills,
`ImageRejected` (with a ``reason``) for input that is not a readable image, `ocr_available`,
and `VisionPool`, the bounded pool the worker runs scans on. Pure and offline: it reads
bytes in memory and imports only the waybill detection below it.
"""

from bot.vision.pool import VisionBusy, VisionPool
from bot.vision.scan import ocr_available, scan_image
from bot.vision.types import FoundInImage, ImageRejected, ImageScan, Limits

__all__ = [
    "FoundInImage",
    "ImageRejected",
    "ImageScan",
    "Limits",
    "VisionBusy",
    "VisionPool",
    "ocr_available",
    "scan_image",
]
