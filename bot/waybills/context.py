"""Context words around a number: does the message call it a waybill, an order, a phone…?

Events are keyword hits (positive: 运单/单号/快递/tracking…; negative: 订单/手机/电话/身份证/
卡号/验证码/取件码…) and carrier names typed by the user (via the carrier registry). Negative
words name a kind of number, not a speaker: "客服：771…" is a waybill typed by an agent, and
the hotlines agents give are caught by the look-alike rules. For each
number we look at the text between the previous number and this one (nearest event wins) and
a few characters after it ("SF…（顺丰）", "774… 申通的", "(UPS ground)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.carriers import Registry

_POSITIVE_WORDS = [
    # "…编号" labels of a parcel, read whole: the bare 编号 below is a negative.
    "运单编号",
    "快递编号",
    "快件编号",
    "物流编号",
    "包裹编号",
    "邮件编号",
    "运单号",
    "运单",
    "快递单号",
    "物流单号",
    "单号",
    "快递",
    "快件",
    "物流",
    "包裹",
    "邮件",
    "面单",
    "寄件",
    "寄出",
    "寄的",
    "发货",
    "已发",
    "揽收",
    "派送",
    "派件",
    "签收",
    "查件",
    "查询",
    "查下",
    "查一下",
    "帮我查",
    "追踪",
    "跟踪",
    "件号",
    # Words of a request to track ("查一下…到哪了", "寄的件"): intent, not a label.
    "到哪",
    "查",
    "寄",
    "的件",
    "个件",
    "件到",
]
#: Labels that make the number next to them a waybill whatever it looks like (快递单号：…).
LABELS = frozenset(
    ["运单编号", "快递编号", "快件编号", "物流编号", "包裹编号", "邮件编号", "运单号", "运单"]
    + ["快递单号", "物流单号", "单号", "件号", "TRACKING NUMBER", "TRACKING NO", "WAYBILL", "AWB"]
)
_LABEL_GAP = re.compile(r"[\s:：#=是为]*")
_POSITIVE_LATIN = (
    "TRACKING NUMBER|TRACKING NO|TRACKING|TRACK|WAYBILL|AWB|SHIPMENT|PARCEL|PACKAGE|SHIPPED|"
    "CONSIGNMENT|DELIVERY|DELIVERED|COURIER|WHERE IS|WHERE'S|WHERES|ARRIVE|ARRIVED|SHIPPING|LOST"
)
_NEGATIVE_WORDS = [
    "订单编号",
    "订单号",
    "订单",
    "子订单",
    "手机号",
    "手机",
    "电话",
    "座机",
    "热线",
    "联系人",
    "联系方式",
    "身份证",
    "证件",
    "实名",
    "卡号",
    "银行卡",
    "信用卡",
    "储蓄卡",
    "验证码",
    "校验码",
    "动态码",
    "取件码",
    "提货码",
    "取货码",
    # Codes shops hand out look like digit-only waybills, often next to 发货/顺丰包邮.
    "兑换码",
    "优惠码",
    "优惠券",
    "券码",
    "激活码",
    "邀请码",
    "推荐码",
    "口令",
    "卡密",
    "书号",
    "货架号",
    "货架",
    "发票",
    "税号",
    "扣扣",
    "微信",
    "串号",
    "序列号",
    "工号",
    "工单",
    "型号",
    "流水号",
    "房间",
    "门禁",
    "密码",
    "航班",
    "行李",
    "信用代码",
    "会员",
    "账号",
    "帐号",
    "尾号",
    "后四位",
    "后4位",
    "商品",
    "学号",
    "时间戳",
    "金额",
    "价格",
    "退款",
    "转账",
    "交易号",
    "支付",
    "合同",
    "车牌",
    "邮编",
    "邮政编码",
    "编号",
    "货号",
    "批次",
    # Amounts: "¥12345678.00", "$1,234".
    "¥",
    "$",
]
_NEGATIVE_LATIN = (
    "ORDER NO|ORDER ID|ORDER|TEL|PHONE|MOBILE|CALL|CELL|FAX|CARD|CODE|OTP|PIN|QQ|WECHAT|WXID|IMEI|"
    "INVOICE|MODEL|SERIAL|ACCOUNT|TIMESTAMP|FLIGHT|ROOM|PRICE|AMOUNT|ISBN|COUPON|VOUCHER|PROMO|"
    "RMB|CNY|USD|TOTAL"
)


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# One scan finds both polarities; longer words first so 订单号 is not read as 单号.
_KEYWORDS = re.compile(
    "(?P<neg>"
    + _alternation(_NEGATIVE_WORDS)
    + r"|(?<![A-Z])(?:"
    + _NEGATIVE_LATIN
    + r")(?![A-Z]))"
    "|(?P<pos>"
    + _alternation(_POSITIVE_WORDS)
    + r"|(?<![A-Z])(?:"
    + _POSITIVE_LATIN
    + r")(?![A-Z]))"
)
PREFIX_WINDOW = 24
SUFFIX_WINDOW = 8
# A negative word this close after a number names what it is ("X 是内部流水号"); only numbers
# reported on intent alone heed it (a format's number keeps "7551… 尾号 5678").
NEGATIVE_AFTER_WINDOW = 5
# What may separate a number from a carrier name written after it: "（顺丰）", " 申通的".
_SUFFIX_GAP = re.compile(r"[\s(\[（【《「<\"'“‘:：\-—]*")


@dataclass(frozen=True)
class Event:
    """A keyword or carrier name in the folded text."""

    start: int
    end: int
    kind: str  # "pos", "neg" or "carrier"
    carrier: str | None = None


@dataclass(frozen=True)
class Local:
    """What the words around one number say."""

    positive: bool
    negative: bool
    carrier: str | None
    label: bool = False
    negative_after: bool = False


def scan(folded: str, registry: Registry) -> list[Event]:
    """All keyword and carrier-name events, in order.

    Negative words hide carrier names they overlap (邮政编码 is not 邮政); positive words and
    carrier names may overlap (百世快递 is both).
    """
    events = [Event(m.start(), m.end(), m.lastgroup or "pos") for m in _KEYWORDS.finditer(folded)]
    taken = [(e.start, e.end) for e in events if e.kind == "neg"]
    for start, end, carrier in registry.find_spans(folded):
        if not any(start < t_end and t_start < end for t_start, t_end in taken):
            events.append(Event(start, end, "carrier", carrier.code))
    events.sort(key=lambda e: e.start)
    return events


def local_context(
    folded: str, events: list[Event], start: int, end: int, prev_end: int, next_start: int
) -> Local:
    """Nearest words before the number (back to the previous number) and right after it."""
    window_start = max(prev_end, start - PREFIX_WINDOW)
    positive = negative = label = False
    carrier = None
    for event in reversed(events):
        if event.end > start or event.start < window_start:
            continue
        if event.kind == "neg":
            # A negative word closer than any carrier name cancels it: 京东订单号…
            negative = not positive and carrier is None
            break
        if event.kind == "pos":
            label = label or (
                not positive
                and folded[event.start : event.end] in LABELS
                and _LABEL_GAP.fullmatch(folded, event.end, start) is not None
            )
            positive = True
        elif carrier is None:
            carrier = event.carrier
    if carrier is None:
        carrier = _suffix_carrier(folded, events, end, next_start)
    after = next((e for e in events if e.start >= end), None)
    negative_after = (
        after is not None
        and after.kind == "neg"
        and after.start - end <= NEGATIVE_AFTER_WINDOW
        and after.start < next_start
    )
    return Local(positive, negative, carrier, label, negative_after)


def _suffix_carrier(folded: str, events: list[Event], end: int, next_start: int) -> str | None:
    """A carrier name right after the number: "（顺丰）", " 申通的", "(UPS ground)".

    Words after a number are not used as negatives: "顺丰 7551… 尾号 5678" is still a waybill.
    """
    limit = min(next_start, end + SUFFIX_WINDOW)
    for event in events:
        if event.start < end:
            continue
        if event.start >= limit:
            break
        if event.kind == "carrier" and _SUFFIX_GAP.fullmatch(folded, end, event.start):
            return event.carrier
        break
    return None
