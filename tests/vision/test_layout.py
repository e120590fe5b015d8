"""OCR boxes are put back into rows, and rows go to detection with their labels."""

from __future__ import annotations

import math

from bot.vision.layout import TextBox, lines
from bot.vision.ocr import waybills_in_lines


def box(text: str, x: float, y: float, width: float, height: float = 30, turn: float = 0):
    """A box whose top-left corner is at (x, y), turned by ``turn`` degrees about (0, 0)."""
    cos, sin = math.cos(math.radians(turn)), math.sin(math.radians(turn))
    corners = [(x, y), (x + width, y), (x + width, y + height), (x, y + height)]
    return TextBox(text, tuple((px * cos - py * sin, px * sin + py * cos) for px, py in corners))


def test_boxes_of_one_row_are_read_left_to_right_whatever_their_order():
    boxes = [
        box("YT7512408369251", 500, 202, 200),
        box("订单编号：1", 40, 260, 300),
        box("运单号", 40, 200, 90),
        box("物流详情", 40, 40, 120),
    ]
    assert lines(boxes) == ["物流详情", "运单号 YT7512408369251", "订单编号：1"]


def test_a_tilted_photo_keeps_its_rows():
    boxes = [
        box("运单号", 40, 200, 90, turn=20),
        box("773098765432", 300, 200, 200, turn=20),
        box("收件人", 40, 260, 90, turn=20),
    ]
    assert lines(boxes) == ["运单号 773098765432", "收件人"]


def test_no_boxes_no_lines():
    assert lines([]) == []


def numbers(rows: list[str]) -> list[str]:
    return [w.number for w in waybills_in_lines(rows)]


def test_a_label_on_the_row_above_counts_as_context():
    assert numbers(["物流详情", "运单号", "773098765432", "复制"]) == ["773098765432"]


def test_numbers_of_a_page_need_context_of_their_own():
    # An SMS sender, an order id and a timestamp glued by OCR are not waybills, though the
    # page talks about parcels everywhere.
    rows = [
        "短信",
        "106550101955",
        "【菜鸟驿站】您的中通快递包裹已到驿站",
        "订单编号：4383364250591960761",
        "2026-11-27090的快件正在派送中",
        "运单号 YT7512408369251 如有疑问",
    ]
    assert numbers(rows) == ["YT7512408369251"]


def test_a_number_alone_in_a_picture_is_read_as_a_number_alone():
    assert numbers(["YT7512408369251"]) == ["YT7512408369251"]
    assert numbers(["773098765432"]) == []  # a bare 12 digits: as when typed alone
