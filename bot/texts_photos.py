"""Sentences about pictures (what was read from a photo, and why one could not be read), in
Chinese and English; merged into `bot.texts.TEXTS`."""

from __future__ import annotations

PHOTO_TEXTS: dict[str, tuple[str, str]] = {
    "photo_found": ("📷 图片里识别到：{found}", "📷 Read from the picture: {found}"),
    "photo_source_barcode": ("条码", "barcode"),
    "photo_source_ocr": ("文字", "text"),
    "photo_nothing": (
        "📷 没有在图片里找到快递单号。请拍清楚面单上的条码（对准、别反光），或直接发送单号。",
        "📷 I found no waybill number in the picture. Send a sharper photo of the label's "
        "barcode (straight on, no glare), or type the number.",
    ),
    "photo_too_large": (
        "📷 图片太大了，读不了。请发送小一些的图片，或直接发送单号。",
        "📷 That picture is too large to read. Send a smaller one, or type the number.",
    ),
    "photo_not_an_image": (
        "📷 这个文件不是图片，读不了。请发送面单或截图的照片，或直接发送单号。",
        "📷 That file is not a picture I can read. Send a photo of the label or a screenshot, "
        "or type the number.",
    ),
    "photo_corrupt": (
        "📷 图片已损坏或不完整，读不了。请重新发送，或直接发送单号。",
        "📷 The picture is damaged or incomplete. Send it again, or type the number.",
    ),
    "photo_too_many_pixels": (
        "📷 图片像素太多了，读不了。请发送普通的照片或截图，或直接发送单号。",
        "📷 That picture has too many pixels to read. Send an ordinary photo or screenshot, or "
        "type the number.",
    ),
    "photo_not_found": (
        "📷 图片已过期或被删除，取不到了。请重新发送，或直接发送单号。",
        "📷 The picture has expired or was deleted, so I could not get it. Send it again, or "
        "type the number.",
    ),
    "photo_timeout": (
        "📷 下载图片超时了。请稍后重新发送，或直接发送单号。",
        "📷 Downloading the picture timed out. Send it again in a moment, or type the number.",
    ),
    "photo_unavailable": (
        "📷 暂时取不到这张图片（平台出错）。请稍后重新发送，或直接发送单号。",
        "📷 I could not get the picture from the chat platform just now. Send it again in a "
        "moment, or type the number.",
    ),
    "photo_busy": (
        "📷 现在要读的图片太多了，请过一会儿再发送，或直接发送单号。",
        "📷 Too many pictures are waiting to be read right now. Send it again in a moment, or "
        "type the number.",
    ),
    "photo_failed": (
        "📷 这张图片没能读完。请重新发送，或直接发送单号。",
        "📷 I could not finish reading that picture. Send it again, or type the number.",
    ),
}
