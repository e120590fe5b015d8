"""Bytes → one upright greyscale picture of a sane size, in memory, or `ImageRejected`.

The format is sniffed from the content by Pillow (never trusted from a header or file name)
and limited to the formats chat apps send. The pixel count is checked from the header before
anything is decoded (decompression bombs); JPEGs are decoded straight at a reduced scale
(DCT scaling, far cheaper than decoding and resizing); EXIF orientation is applied, since
phones store portrait photos sideways with a rotation tag.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.vision.types import ImageRejected, Limits

#: What Telegram, WeCom and Feishu deliver (photos, screenshots, stickers, GIF first frames).
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
#: Longest side we work on. Waybill barcodes on a phone photo have bars ≥ 2 px at this size,
#: and OCR models work at ≤ 2000 px anyway; larger only costs time and memory.
WORK_SIDE = 2000


def load_image(data: bytes, limits: Limits, work_side: int = WORK_SIDE) -> Image.Image:
    """The picture in ``data`` as an 8-bit greyscale image, upright, longest side ≤ work_side."""
    if len(data) > limits.max_bytes:
        raise ImageRejected("too_large", f"{len(data)} bytes > {limits.max_bytes}")
    image = _open(data, limits)
    try:
        if image.format == "JPEG":
            # Decodes at 1/2, 1/4 or 1/8 scale, never below the requested size.
            image.draft("L", (work_side, work_side))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd EXIF or palette transparency: not our concern
            image = ImageOps.exif_transpose(image)
            grey = _flatten(image).convert("L")
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as error:
        raise ImageRejected("corrupt", type(error).__name__) from None
    if max(grey.size) > work_side:
        grey.thumbnail((work_side, work_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return grey


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent screenshots and stickers on white: their transparent pixels are often
    black underneath, which would hide black text."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba)
    return image


def _open(data: bytes, limits: Limits) -> Image.Image:
    """Open lazily (header only) and check the pixel count before any decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise ImageRejected("not_an_image") from None
    except Image.DecompressionBombError:
        raise ImageRejected("too_many_pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageRejected("corrupt", type(error).__name__) from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageRejected("corrupt", "empty image")
    if width * height > limits.max_pixels:
        raise ImageRejected("too_many_pixels", f"{width}x{height}")
    return image
