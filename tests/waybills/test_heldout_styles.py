"""Held-out styles: ~170 invented messages the rules were not written against.

SMS notices forwarded from 菜鸟驿站 / 丰巢 / 快递柜, customer-service chats, "已发货" notices with
order numbers, English and mixed text, every grouping people type, tails, several numbers in
one line, brackets and emoji, and hard negatives. Every number is invented; numbers with a known
check digit are built with tests/waybills/numbers.py, the others follow docs/waybills.md §1.
"""

from __future__ import annotations

import pytest

from bot.waybills import find_phone_tail, find_waybills
from tests.waybills import numbers as n

SF_A, SF_B = n.sf("138562871673"), n.sf("221180505210")
SF_C, SF_D = n.sf("075512345600"), n.sf("902146635508")
SFL, SFL2 = n.sf_legacy("02112345678"), n.sf_legacy("75587654321")
YT, YT2 = "YT7461234500081", "YT8812345678902"
JT, JT2 = "JT0012345678901", "JT5566778899001"
ZTO, ZTO2 = "73512345678901", "75987654321098"
STO, STO2 = "771234567890123", "772468013579246"
YD, YD2, YD3 = "434567890123456", "312345678901234", "462813579024680"
EMS_A, EMS_B = n.china_post13("1100123456", "18"), n.china_post13("9712345678", "05")
EMS_C = n.china_post13("1023456789", "77")
EMS_S10, CP_S10 = n.s10("EA", "12345678", "CN"), n.s10("RR", "87654321", "CN")
YZ98, YZ99 = "9812345678901", "9934567890123"
JDX, JDVA, DPK = "JDX012345678901", "JDVA12345678901", "DPK123456789012"
UPS_A, UPS_B = n.ups("999AA1012345678"), n.ups("0X5W2E9A0392118")
FDX, FDX2 = n.fedex12("39812345678"), n.fedex12("77455512345")
USPS_A, USPS_B = n.usps22("940011189922339765410"), n.usps22("920559010376100000000")
USPS_BAD = USPS_A[:-2] + "00"  # 22 digits, wrong check digit: no rule, only the name
DHL = n.dhl10("345678901")
ID = n.id_card("44030519900307123")
CARD16, CARD19 = n.luhn("622588012345678"), n.luhn("621700123456789012")
IMEI = n.luhn("86891203456789")

CARRIER = {
    **dict.fromkeys([SF_A, SF_B, SF_C, SF_D, SFL, SFL2], "shunfeng"),
    **dict.fromkeys([YT, YT2], "yuantong"),
    **dict.fromkeys([JT, JT2], "jtexpress"),
    **dict.fromkeys([ZTO, ZTO2], "zhongtong"),
    **dict.fromkeys([STO, STO2], "shentong"),
    **dict.fromkeys([YD, YD2, YD3], "yunda"),
    **dict.fromkeys([EMS_A, EMS_B, EMS_C, EMS_S10], "ems"),
    **dict.fromkeys([YZ98, YZ99], "youzhengguonei"),
    **dict.fromkeys([JDX, JDVA], "jd"),
    **dict.fromkeys([UPS_A, UPS_B], "ups"),
    **dict.fromkeys([FDX, FDX2], "fedex"),
    **dict.fromkeys([USPS_A, USPS_B, USPS_BAD], "usps"),
    CP_S10: "youzhengguoji",
    DPK: "debangkuaidi",
    DHL: "dhl",
}


def grouped(number: str, sizes: list[int], sep: str = " ") -> str:
    """The number typed in groups of the given sizes (the rest forms the last group)."""
    parts, i = [], 0
    for size in sizes:
        parts.append(number[i : i + size])
        i += size
    if i < len(number):
        parts.append(number[i:])
    return sep.join(parts)


def wide(text: str) -> str:
    """Full-width spelling of ASCII text."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def found(text: str) -> list[tuple[str, str | None]]:
    return [(w.number, w.carrier) for w in find_waybills(text)]


SMS_NOTICES = [
    (f"【菜鸟驿站】您的韵达包裹已到驿站，取件码8-2-3017，运单号{YD}，电话13812345678", [YD]),
    (f"【丰巢】凭取件码23847561至丰巢柜取件，顺丰快递{SF_A}，手机尾号5678", [SF_A]),
    (f"【快递柜】包裹已存入2号柜，取件码：604918，单号{ZTO}，请于24小时内取件。", [ZTO]),
    (f"【兔喜生活】极兔速递{JT}已到店，取件码 5-1-2203，营业时间08:00-21:00", [JT]),
    # The named operator leads: 1x numbers are also queried as 邮政快递包裹 (docs §1).
    (
        f"【中国邮政】您的邮件{EMS_A}已由驿站代收，取件码A12，咨询11183",
        [(EMS_A, "youzhengguonei")],
    ),
    (f"【圆通速递】您的快件{YT2}正在派送中，快递员王师傅，电话138-1234-5678", [YT2]),
    (f"[菜鸟驿站]包裹到了！申通{STO}，取件码3-5-1168，地址：幸福路88号", [STO]),
    (f"【京东物流】订单2611290012345已发货，运单号{JDX}，配送员18612345678", [JDX]),
    (f"【德邦快递】您的货物{DPK}已签收，签收人：门卫。如有疑问请致电95353", [DPK]),
    (f"丰巢提醒：您的快件（中通{ZTO2}）已投递至丰巢柜，取件码61827394", [ZTO2]),
    (f"【菜鸟驿站】邮政快递包裹{YZ98}已到站，取件码2-1-4408，手机尾号0021", [YZ98]),
    (f"您好，您的顺丰快件 {SF_B} 派送失败，请联系快递员 0755-12345678 重新预约", [SF_B]),
    (f"【韵达快递】{YD2}已出库，派送员电话+86 139 8765 4321", [YD2]),
    (f"【菜鸟】韵达快递 单号:{YD3} 取件码:11-2-3344 服务电话:95546", [YD3]),
    (f"【丰巢】取件码48261739，包裹：圆通YT {grouped(YT2[2:], [4, 4, 4])}，3号柜", [YT2]),
    (f"【快递柜】顺丰{SF_C}已存入12格口，取件码 039127，超时收费0.5元/12小时", [SF_C]),
    (f"【驿站】中通 {ZTO} 到了，凭取件码 6-2-1058 取件，电话 (010)12345678", [ZTO]),
]
CHATS = [
    (f"客服：亲，已经帮您查询了，您的快递单号是{SF_C}，预计明天送达哦~", [SF_C]),
    (f"买家：我的快递怎么还没到？单号{YT}\n客服：亲稍等，帮您查一下", [YT]),
    (f"亲，您好！您的宝贝已通过中通快递发出，快递单号：{ZTO}，请注意查收", [ZTO]),
    (f"我：帮我查下这个 {STO2} 申通的，三天没动了", [STO2]),
    (f"客服小美：亲亲这边看到物流单号{EMS_B}（EMS），显示已经到当地了", [EMS_B]),
    (f"用户: 订单号 3012345678901234567 的单号呢\n客服: JT {grouped(JT[2:], [4, 4, 4])}", [JT]),
    (f"在吗？顺丰单号 {SFL} 帮我查一下，手机尾号1234", [SFL]),
    (f"你好 我寄的韵达 {YD} 到哪了", [YD]),
    (f"客服回复：退货运单号{SF_D}已登记，退款将在签收后3个工作日内原路退回", [SF_D]),
    (f"亲 这个是京东的单号 {JDVA} 您直接在京东app查就可以", [JDVA]),
    (f"Q: 快递到哪了\nA: 德邦 DPK {grouped(DPK[3:], [4, 4])} 已派送", [DPK]),
    (f"顾客：中通单号{ZTO}，显示签收了没收到\n客服：已登记，工单号 20261129001", [ZTO]),
    (f"老板，包裹 {YT2} 三天了还在转运中，能催一下吗？我电话 13912345678", [YT2]),
    (f"刚寄出的，顺丰 {SFL2} 尾号 5678，你查下", [SFL2]),
    (f"客服：您好，请提供一下运单号\n我：{EMS_C}", [EMS_C]),
    (f"客服：亲，这个是 {STO}", [STO]),
    (f"客服: {EMS_A}", [EMS_A]),
    (f"客服回复：您好，{YD} 已派送", [YD]),
]
SHIPPED = [
    (f"【淘宝】已发货，订单号：3012345678901234567，圆通速递，运单号：{YT}", [YT]),
    (f"【拼多多】您的订单261129-123456789012345已发货，快递：韵达快递 {YD}", [YD]),
    (f"【京东】订单号 312345678901 已出库，京东快递 {JDX}", [JDX]),
    (f"发货通知：订单 #20261129-0042 已发货 (SF Express {SF_A})", [SF_A]),
    (f"Your order #1234567 has shipped! Carrier: UPS, tracking number {UPS_A}", [UPS_A]),
    (f"已发货 订单编号：E20261129123456 物流：中通 {ZTO2}", [ZTO2]),
    (f"【唯品会】已发货，快递单号：{SF_B}（顺丰速运），订单金额¥1,299.00", [SF_B]),
    (f"亲，您的宝贝已发出：\n订单号：2611291234567890\n快递：申通快递\n单号：{STO}", [STO]),
    (f"Order 4001234567 shipped via FedEx, tracking {FDX}", [FDX]),
    (f"发货啦～ 极兔 {JT2}，订单尾号 5678", [JT2]),
    (f"已发货｜订单号 DD2611290001｜运单 EMS {EMS_C}", [EMS_C]),
    (f"Your parcel is on its way. USPS tracking: {USPS_A}. Delivery Dec 3.", [USPS_A]),
    (f"商家已发货，运单号：{YZ99}（邮政快递包裹），预计3-5天送达", [YZ99]),
    (f"订单 2611 2912 3456 7890 由顺丰发出，运单号 {SF_D}，时间 2026-11-29 10:21", [SF_D]),
    (f"订单号:3123456789012345678 商品编号:100012345678 快递单号:{STO2}", [STO2]),
]
ENGLISH = [
    (f"Tracking # {UPS_B} (UPS Ground)", [UPS_B]),
    (f"pls check {SF_A} for me, thx", [SF_A]),
    (f"The DHL waybill is {DHL}, please confirm", [DHL]),
    (f"FedEx tracking no. {grouped(FDX2, [4, 4])}", [FDX2]),
    (f"my package {STO} from STO hasn't moved since Monday", [STO]),
    (f"Registered mail {CP_S10} sent from Shanghai", [CP_S10]),
    (f"EMS tracking: {EMS_S10}", [EMS_S10]),
    (f"帮我track一下这个包裹 {YT}, thanks", [YT]),
    (f"shipped via usps {grouped(USPS_B, [4, 4, 4, 4, 4])}", [USPS_B]),
    (f"Order ID 1234567890123, tracking ZTO {ZTO}", [ZTO]),
    (f"Hi, tracking number is {JT.lower()}", [JT]),
    (f"UPS {UPS_A.lower()}", [UPS_A]),
    (f"Your parcel {YD2} (Yunda Express) will arrive tomorrow", [YD2]),
    (f"Ref: SO-2026-1129, AWB {DHL}, DHL Express", [DHL]),
    (f"yt{YT2[2:]} is the yto one, sf{SF_B[2:]} is SF", [YT2, SF_B]),
    (f"No.{STO}", [STO]),
    (f"TrackingNo.{SF_A}", [SF_A]),
]
GROUPINGS = [
    (f"快递单号：{' '.join(STO)}", [STO]),
    (f"SF {grouped(SF_A[2:], [4, 4, 4])}", [SF_A]),
    (f"中通 {grouped(ZTO, [4, 4, 4], '-')}", [ZTO]),
    (f"申通 {grouped(STO, [3, 4, 4])}", [STO]),
    (f"韵达 {grouped(YD, [4, 4, 4], '.')}", [YD]),
    (f"顺丰：{wide(SF_B)}", [SF_B]),
    (f"单号 {SF_A[:8]}\n{SF_A[8:]}", [SF_A]),
    (f"运单号：\n{grouped(STO[:8], [4])}\n{grouped(STO[8:], [4])}", [STO]),
    (f"EMS {grouped(EMS_A, [4, 4, 4])}", [EMS_A]),
    (f"SF {' '.join(SF_C[2:])}", [SF_C]),
    (f"YT-{grouped(YT[2:], [4, 4], '-')}", [YT]),
    (f"极兔 JT·{JT[2:]}", [JT]),
    (f"圆通 {YT[:2]} {grouped(YT[2:], [3, 4, 4])}", [YT]),
    (f"usps {grouped(USPS_A, [4, 4, 4, 4, 4])}", [USPS_A]),
    (f"usps {grouped(USPS_BAD, [4, 4, 4, 4, 4])}", [USPS_BAD]),  # never a 20-digit sub-span
    (f"中通{ZTO[:7]} {ZTO[7:]}", [ZTO]),
    (f"申通 {wide(grouped(STO, [4, 4, 4], '-'))}", [STO]),
    (f"京东 JDX0 {grouped(JDX[4:], [4, 4])}", [JDX]),
    (f"UPS {grouped(UPS_A, [2, 3, 3, 2, 4])}", [UPS_A]),
    (f"DHL {grouped(DHL, [2, 4])}", [DHL]),
    (f"中通 {grouped(ZTO, [2, 4, 4])}", [ZTO]),
    (f"单号 {grouped(SF_D, [5, 5])}", [SF_D]),
    (f"申通：{grouped(STO, [3, 4, 4], ' - ')}", [STO]),
    (f"韵达\n{grouped(YD, [4, 4, 4])}\n谢谢", [YD]),
    (f"EMS：{grouped(EMS_S10, [2, 9])}", [EMS_S10]),
    (f"运单号 {STO[:6]}\n{STO[6:]} 申通", [STO]),
    (f"单号 {STO[:10]} {STO[10:]}", [STO]),
    (f"单号 {SF_A[:6]}\u200b{SF_A[6:]}", [SF_A]),  # zero-width space from a chat app
    (f"申通 {grouped(STO, [4, 4, 4], '—')}", [STO]),
    (f"1 {grouped(STO, [4, 4, 4])}", [STO]),
]
TAILS_AND_SEVERAL = [
    (f"{SF_A} 5678", [SF_A]),
    (f"申通 {STO} 5678", [STO]),
    (f"顺丰 {SFL2} 5678", [SFL2]),
    (f"SF {grouped(SF_A[2:], [4, 4, 4])} 5678", [SF_A]),
    (f"中通 {grouped(ZTO, [4, 4, 4])}，尾号 0021", [ZTO]),
    (f"申通 {grouped(STO, [3, 4, 4])} 0021", [STO]),
    (f"{YT} {JT}", [YT, JT]),
    (f"{STO} {STO2}", [STO, STO2]),
    (f"{STO},{STO2}", [STO, STO2]),
    (f"{STO}、{STO2}", [STO, STO2]),
    (f"韵达两个：{YD} {YD3}", [YD, YD3]),
    (f"顺丰{SF_A}，中通{ZTO}，还有一个韵达{YD}", [SF_A, ZTO, YD]),
    (f"两个包裹：\n1. {SF_A}\n2. {YT}", [SF_A, YT]),
    (f"{UPS_A} / {FDX} (FedEx)", [UPS_A, FDX]),
    (f"EMS:{EMS_A} 顺丰:{SF_B}", [EMS_A, SF_B]),
    (f"中通和申通：{grouped(ZTO, [4, 4, 4])} {grouped(STO, [4, 4, 4])}", [ZTO, STO]),
    (f"{SF_A} {SF_B} {SF_C}", [SF_A, SF_B, SF_C]),
    (f"{STO} 13812345678", [STO]),
    (f"申通 {grouped(STO, [3, 4, 4])} 138 1234 5678", [STO]),
    (f"2026-11-29 {STO} 申通", [STO]),
    (f"2026.11.29 {grouped(STO, [4, 4, 4])} 申通", [STO]),
    (f"{YD}\n{YD2}\n{YD3}", [YD, YD2, YD3]),
    (f"{JDX} {DPK}", [JDX, DPK]),
]
GLUED = [
    (f"我在顺丰寄的{SF_A}明天到", [SF_A]),
    (f"📦{SF_A}🚚", [SF_A]),
    (f"单号👉{YT}👈", [YT]),
    (f"【{ZTO}】", [ZTO]),
    (f"《{STO}》", [STO]),
    (f"‘{YD}’", [YD]),
    (f"「{JT}」", [JT]),
    (f"『{EMS_A}』", [EMS_A]),
    (f"〔{DPK}〕", [DPK]),
    (f"<{UPS_A}>", [UPS_A]),
    (f"{{{SF_B}}}", [SF_B]),
    (f"'{SF_C}'", [SF_C]),
    (f'"{YT2}"', [YT2]),
    (f"（{SF_D}）", [SF_D]),
    (f"[{JDX}]", [JDX]),
    (f"单号:{STO}!!!", [STO]),
    (f"韵达{YD}～～", [YD]),
    (f"{ZTO2}😊谢谢", [ZTO2]),
    (f"〈{EMS_B}〉※", [EMS_B]),
    (f"★{JT2}★", [JT2]),
]
NEGATIVES = [
    "手机13812345678",
    "138-1234-5678",
    "+86 138 1234 5678",
    "(+86) 138-1234-5678",
    "电话：139 8765 4321",
    "联系人 王先生 186.1234.5678",
    "１３９８７６５４３２１",
    "tel:+8613912345678",
    "13812345678\n13987654321",
    "0755-12345678",
    "(010)12345678",
    "400-811-1111",
    "客服热线 95338",
    "客服QQ 1234567890",
    "010 8888 6666",
    "0755-8888 8888",
    "021-6438-5086转8001",
    f"身份证号 {ID}",
    f"{grouped(ID, [6, 8])}",
    f"卡号 {grouped(CARD16, [4, 4, 4])}",
    f"{CARD19}",
    f"IMEI: {IMEI}",
    "淘宝订单号：3012345678901234567",
    "拼多多订单 261129-123456789012345",
    "京东订单号 312345678901",
    "订单 2611 2912 3456 7890 已付款",
    "1764403200",
    "1764403200123",
    "时间 20261129",
    "20261129143045",
    "2026-11-29 14:30:00",
    "¥1,299.00",
    "合计 12,345.67 元",
    "https://item.taobao.com/item.htm?id=771234567890123",
    "https://mobile.yangkeduo.com/goods.html?goods_id=434567890123456",
    "QQ：1234567890",
    "验证码 483920，5分钟内有效",
    "取件码 8-3-1204",
    "发票代码 144031900111，发票号码 04567891",
    "邮编 518000",
    "SKU: 100023456789",
    "微信号 wxid_abc1234567890",
    "我的快递到哪了？",
    "【顺丰】您的快件将于2026-11-30 09:00-12:00送达，运费¥23.00，客服95338",
    "丰巢柜取件码 23847561，柜号 A-12",
    "快递员手机 138 1234 5678，单号稍后发你",
    "Call us at +1 800-742-5877 or 1-800-463-3339",
    "order #112-1234567-1234567",
    "Amount: USD 1,234,567.89",
    "电子客票号 781-2345678901",
    "单号 1234 5678 9012 3456 7890 1234",
    "快递单号 2611 2912 3456 7890",
    f"tracking {grouped(USPS_BAD, [4, 4, 4, 4, 4])}",
    "1234567890 1234567891",
]


def expand(expected: list) -> list[tuple[str, str]]:
    """[number or (number, carrier)] -> [(number, carrier)], carriers from ``CARRIER``."""
    return [item if isinstance(item, tuple) else (item, CARRIER[item]) for item in expected]


POSITIVES = SMS_NOTICES + CHATS + SHIPPED + ENGLISH + GROUPINGS + TAILS_AND_SEVERAL + GLUED


@pytest.mark.parametrize(("text", "expected"), POSITIVES)
def test_finds_waybills(text, expected):
    assert found(text) == expand(expected)


@pytest.mark.parametrize("text", NEGATIVES)
def test_rejects_look_alikes(text):
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "tail"),
    [
        (f"{SF_A} 5678", "5678"),
        (f"SF {grouped(SF_A[2:], [4, 4, 4])} 5678", "5678"),
        (f"申通 {STO} 0021", "0021"),
        (f"【丰巢】顺丰快递{SF_A}，手机尾号5678", "5678"),
    ],
)
def test_phone_tail_next_to_a_grouped_or_whole_number(text, tail):
    assert find_phone_tail(text) == tail


def test_held_out_set_is_the_size_described():
    assert len(POSITIVES) >= 120 and len(NEGATIVES) >= 50
