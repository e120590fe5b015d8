"""Images made here for the vision tests and bench/vision.py: labels and screenshots.

Nothing is a real parcel's photo: numbers come from our own number makers
(tests/waybills/generated.py), barcodes are written by zxing-cpp, text is drawn by Pillow with
the committed CJK subset font (tests/data/fonts/README.md), and the camera is imitated with a
rotation, a perspective warp, blur, noise and JPEG compression.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_PATH = Path(__file__).parents[1] / "data" / "fonts" / "wqy-microhei-subset.ttf"

CARRIERS = ("中通快递", "圆通速递", "韵达快递", "申通快递", "顺丰速运", "京东物流", "极兔速递")
ADDRESSES = (
    "浙江省杭州市西湖区文三路188号",
    "广东省深圳市南山区科技园南路12号",
    "上海市浦东新区张江路88弄5号",
    "北京市朝阳区建国路99号",
)
NAMES = ("张三", "李四", "王五", "赵六")


def font(size: int) -> ImageFont.FreeTypeFont:
    """The CJK font at ``size`` px."""
    return ImageFont.truetype(str(FONT_PATH), size)


def barcode(text: str, fmt: str = "Code128", scale: int = 3) -> Image.Image:
    """A barcode of ``text`` written by zxing-cpp, greyscale, with its quiet zones."""
    code = zxingcpp.create_barcode(text, zxingcpp.barcode_format_from_str(fmt))
    return Image.fromarray(__import__("numpy").asarray(code.to_image(scale=scale)))


def encode(image: Image.Image, fmt: str = "JPEG", quality: int = 85) -> bytes:
    """``image`` as file bytes."""
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return out.getvalue()


def label(number: str, rng: random.Random, fmt: str = "Code128") -> Image.Image:
    """A flat, sharp shipping label (about 800 × 1200 px) with ``number`` as its barcode."""
    page = Image.new("L", (800, 1200), 255)
    draw = ImageDraw.Draw(page)
    draw.text((40, 30), rng.choice(CARRIERS), font=font(56), fill=0)
    draw.line((20, 110, 780, 110), fill=0, width=3)
    code = barcode(number, fmt, scale=3 if len(number) <= 15 else 2)
    code = code.resize((min(720, code.width), 180), Image.Resampling.NEAREST)
    page.paste(code, ((800 - code.width) // 2, 140))
    draw.text(
        (80, 330),
        " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
        font=font(40),
        fill=0,
    )
    y = 420
    for _ in range(2):
        draw.text(
            (40, y),
            f"收 {rng.choice(NAMES)} 1{rng.randint(3, 9)}*****{rng.randint(1000, 9999)}",
            font=font(36),
            fill=0,
        )
        draw.text((40, y + 50), rng.choice(ADDRESSES), font=font(32), fill=0)
        y += 160
    draw.rectangle((20, 20, 780, 1180), outline=0, width=3)
    return page


def photograph(
    page: Image.Image,
    rng: random.Random,
    megapixels: float,
    angle: float,
    blur: float,
    noise: float,
) -> Image.Image:
    """``page`` photographed: on a cardboard-grey ground, turned by ``angle``, seen at a slant,
    blurred, noisy, at about ``megapixels``."""
    ground = Image.new("L", (int(page.width * 1.6), int(page.height * 1.4)), rng.randint(120, 170))
    ground.paste(page, ((ground.width - page.width) // 2, (ground.height - page.height) // 2))
    turned = ground.rotate(angle, Image.Resampling.BICUBIC, expand=False, fillcolor=140)
    slanted = _perspective(turned, rng, 0.06)
    scale = (megapixels * 1e6 / (slanted.width * slanted.height)) ** 0.5
    size = (int(slanted.width * scale), int(slanted.height * scale))
    shot = slanted.resize(size, Image.Resampling.BICUBIC)
    if blur:
        shot = shot.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        shot = Image.blend(shot, Image.effect_noise(shot.size, 64).point(lambda v: v), noise)
    return shot.convert("RGB")


def _perspective(image: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    """A mild keystone: each corner moved inwards by up to ``strength`` of the size."""
    w, h = image.size

    def jitter(limit):
        return rng.uniform(0, strength) * limit

    quad = (
        jitter(w),
        jitter(h),
        jitter(w),
        h - jitter(h),
        w - jitter(w),
        h - jitter(h),
        w - jitter(w),
        jitter(h),
    )
    return image.transform(
        image.size, Image.Transform.QUAD, quad, Image.Resampling.BICUBIC, fillcolor=140
    )


# --- screenshots ---------------------------------------------------------------------------
SCREEN = (750, 1334)  # an iPhone 8-class screen; Android screenshots are larger, same layout
STATUS = (
    "快件已到达【杭州转运中心】",
    "快件已由【上海浦东营业部】揽收",
    "您的快件正在派送中，请保持电话畅通",
    "快件已发往【广州分拨中心】",
    "已签收，签收人：本人",
)
FRAGILE = "易碎物品 小心轻放"
GOODS = ("夏季纯棉短袖T恤男士宽松", "无线蓝牙耳机降噪运动款", "家用多功能收纳盒三件套")


def _number_line(rng: random.Random, number: str) -> str:
    return rng.choice(("运单号：{}", "运单号 {}", "快递单号：{}", "运单编号：{}")).format(number)


def _shop_lines(rng: random.Random, number: str, carrier: str) -> list[tuple[str, ...]]:
    """A Taobao/JD-like order page; a row of several cells is one tuple (left, right)."""
    order = "".join(rng.choice("0123456789") for _ in range(19))
    number_rows: list[tuple[str, ...]] = rng.choice(
        ([(_number_line(rng, number), "复制")], [("运单号", number)], [("运单号",), (number,)])
    )
    return [
        ("物流详情",),
        (rng.choice(GOODS),),
        (f"{carrier}", "官方电话 95311"),
        *number_rows,
        (f"订单编号：{order}",),
        ("2026-11-28 14:32", rng.choice(STATUS)),
        ("2026-11-27 09:05", rng.choice(STATUS)),
        (f"收货地址：{rng.choice(ADDRESSES)}",),
    ]


def _sms_lines(rng: random.Random, number: str, carrier: str) -> list[tuple[str, ...]]:
    """A courier's SMS, wrapped as a phone wraps it (never inside the number)."""
    code = f"{rng.randint(1, 9)}-{rng.randint(1, 9)}-{rng.randint(1000, 9999)}"
    text = (
        f"【菜鸟驿站】您的{carrier}包裹已到{rng.choice(ADDRESSES)[:6]}驿站，请凭取件码 {code} "
        f"取件。运单号 {number} 如有疑问请联系 95311"
    )
    rows, line = [], ""
    for word in text.replace(number, f"\0{number}\0").split("\0"):
        pieces = [word] if word == number else list(word)
        for piece in pieces:
            if len(line) + len(piece) > 17:
                rows.append((line,))
                line = ""
            line += piece
    rows.append((line,))
    return [("短信",), ("106550101955",), *rows, ("今天 10:21",)]


def screenshot(number: str, rng: random.Random, style: str | None = None) -> Image.Image:
    """A phone screenshot (order page or SMS) that shows ``number`` on a 运单号 line."""
    style = style or rng.choice(("shop", "sms"))
    carrier = rng.choice(CARRIERS)
    rows = (_shop_lines if style == "shop" else _sms_lines)(rng, number, carrier)
    page = Image.new("RGB", SCREEN, (255, 255, 255) if style == "shop" else (242, 242, 247))
    draw = ImageDraw.Draw(page)
    size = rng.choice((26, 28, 30))
    y = 40
    for row in rows:
        draw.text((40, y), row[0], font=font(size), fill=(30, 30, 30))
        if len(row) > 1:
            right = font(size - 2)
            width = draw.textlength(row[1], font=right)
            draw.text((SCREEN[0] - 40 - width, y + 1), row[1], font=right, fill=(90, 90, 90))
        y += int(size * 2.1)
    return page


def all_text() -> str:
    """Every character these images may draw: what the committed subset font must cover."""
    rng = random.Random(0)
    samples = [screenshot("SF1234567890123", rng, style) for style in ("shop", "sms")]
    del samples
    words = CARRIERS + ADDRESSES + NAMES + STATUS + GOODS + (FRAGILE,)
    extra = "物流详情官方电话运单号快递编号复制订单收货地址短信今天菜鸟驿站您的包裹已到请凭取件码"
    extra += "。如有疑问联系：收*【】，"
    ascii_ = "".join(chr(c) for c in range(32, 127))
    return "".join(sorted(set("".join(words) + extra + ascii_)))
