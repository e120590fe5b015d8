"""An evaluation set built from documented formats: every class of waybill, bare and in requests.

Numbers are constructed here (seeded random serials, check digits computed by our own makers)
from the formats documented in docs/waybills.md and bot/waybills/rules.py's cited sources; none
is copied from a validator's test data or a real parcel. Each positive is used bare (the whole
message) and inside Chinese and English request sentences; look-alikes (phones, ID and bank
cards, dates, amounts, codes, IMEIs, labelled order and invoice numbers) are the negatives.
Used by tests/waybills/test_generated.py and bench/detection.py (before/after figures).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from tests.waybills import numbers as n

Maker = Callable[[random.Random], str]


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


@dataclass(frozen=True)
class Kind:
    """A class of waybill: how to make one, and the carrier its format names (None: several).

    ``alone``: found when sent with no other word. Digit-only formats with no check digit and
    no carrier's own prefix fit order and account numbers as well: they need a word."""

    name: str
    make: Maker
    carrier: str | None = None
    alone: bool = True


def _fixed(prefix: str, count: int) -> Maker:
    return lambda rng: prefix + _digits(rng, count)


def _choice(prefixes: tuple[str, ...], count: int) -> Maker:
    return lambda rng: rng.choice(prefixes) + _digits(rng, count)


def _padded(prefixes: tuple[str, ...], total: int) -> Maker:
    def make(rng: random.Random) -> str:
        prefix = rng.choice(prefixes)
        return prefix + _digits(rng, total - len(prefix))

    return make


def _ontrac(letter: str) -> Maker:
    return lambda rng: letter + n.ontrac_check(letter, _digits(rng, 13))


KINDS: tuple[Kind, ...] = (
    # Older domestic formats (docs/waybills.md §1; kuaidi100 2018 hints).
    Kind("yunda13", _choice(("31", "39", "43", "46", "53"), 11)),
    Kind("sto13", _choice(("268", "368", "468", "568", "588", "668", "868", "888"), 10)),
    Kind("sto12", _choice(("268", "368", "588", "668", "888"), 9)),
    Kind("yto18", _fixed("88", 16), "yuantong"),
    Kind("yto_letter9", _choice(("V", "D", "K", "G"), 9)),
    Kind("yto10", _choice(("6", "8"), 9)),
    Kind("zto12", _padded(("2008", "6", "010", "75", "53"), 12)),
    Kind("best12", _choice(("50", "55", "56"), 10)),
    Kind("best15", _choice(("55", "56", "57"), 13)),
    Kind("jd11", _choice(("2", "3", "7", "8", "9"), 10), alone=False),
    Kind("jd_v", _choice(("VA", "VB", "VC"), 11), "jd"),
    Kind("jd_jdv", _choice(("JDVA", "JDVB", "JDVC", "JDX0"), 11), "jd"),
    # Carriers with a letter prefix of their own.
    Kind("amazon_tba", _choice(("TBA", "TBC", "TBM"), 12), "swiship"),
    Kind("suning", _fixed("SN", 12), "suning"),
    Kind("cainiao_lp", _fixed("LP00", 12)),
    Kind("kye", _fixed("KYE", 12), "kuayue"),
    Kind("uc", _fixed("UC", 12), "youshuwuliu"),
    Kind("ane", _fixed("ANE", 12), "annengwuliu"),
    Kind("yimidida", _fixed("YMD", 12), "yimidida"),
    Kind("danniao", _fixed("DN", 13), "danniao"),
    Kind("ttk", _fixed("TTK", 12), "tiantian"),
    Kind("kye_digits", _choice(("30", "50", "70"), 9), alone=False),
    Kind("ane_digits", _choice(("300", "210"), 9), alone=False),
    Kind("ttk_digits", _choice(("66", "55", "00"), 10), alone=False),
    # US last-mile and other North American formats (jkeen/tracking_number_data, read, not copied).
    Kind("ontrac_c", _ontrac("C"), "ontrac"),
    Kind("ontrac_d", _ontrac("D"), "ontrac"),
    Kind(
        "lasership_l", lambda rng: "L" + rng.choice("AIEHNX") + "1" + _digits(rng, 7), "lasership"
    ),
    Kind("lasership_1ls", _fixed("1LS72", 10), "lasership"),
    Kind("gofo", _fixed("GFUS", 14)),
    Kind("speedee", _fixed("SP", 18)),
    Kind("canada_post16", lambda rng: n.canpost16(_digits(rng, 15)), "canpost"),
    # J&T outside China; Indonesian, Korean and Japanese domestic carriers.
    Kind("jt_id", _choice(("JP", "JX", "JO"), 10)),
    Kind("jt_sea12", _choice(("62", "63", "82", "78"), 10), alone=False),
    Kind("jne", _choice(("CGK", "TG", "BDO"), 12)),
    Kind("sicepat", _fixed("00", 10), alone=False),
    Kind("anteraja", _fixed("10", 12), alone=False),
    Kind("tiki", _fixed("TKP", 10), "tiki"),
    Kind("ninja", _choice(("NVIDN", "NLIDAP"), 10), "ninjavan"),
    Kind("kr_cj", lambda rng: n.mod7(rng.choice("563") + _digits(rng, 10))),
    Kind("kr_hanjin", lambda rng: n.mod7(rng.choice("45") + _digits(rng, 8))),
    Kind("kr_logen", lambda rng: n.mod7(rng.choice("93") + _digits(rng, 9))),
    Kind("kr_post", _choice(("60", "68"), 11), alone=False),
    Kind("jp_yamato", lambda rng: n.mod7(rng.choice("2345") + _digits(rng, 10))),
    Kind("jp_sagawa", lambda rng: n.mod7("4" + _digits(rng, 10))),
    Kind("jp_post", lambda rng: n.mod7(rng.choice("1678") + _digits(rng, 10))),
    # US numbers of 20/22/30/34 digits that are FedEx or DHL eCommerce, not USPS.
    Kind("fedex_ground96", lambda rng: n.fedex96("9611" + _digits(rng, 17)), "fedex"),
    Kind("fedex34", lambda rng: n.fedex34(rng.choice("12") + _digits(rng, 32)), "fedex"),
    Kind("dhl_ecom_gm", lambda rng: "GM" + _digits(rng, rng.choice((16, 18, 20))), "dhl"),
    Kind(
        "dhl_ecom_420",
        lambda rng: n.dhl_ecom_impb("420" + _digits(rng, 5), _digits(rng, 19)),
        "dhl",
    ),
    Kind(
        "usps20", lambda rng: n.usps20(rng.choice(("03", "23", "70")) + _digits(rng, 17)), "usps"
    ),
)

ZH_REQUESTS = (
    "麻烦帮我查一下快递 {} 到哪了，谢谢",
    "查一下 {}",
    "帮忙看看这个单号{}现在到哪里了",
    "我的包裹{}怎么还没到",
    "快递单号：{}",
    "{} 这个件到哪了？",
    "您好，我寄的东西 {} 一直没更新物流",
    "查询物流 {} 谢谢老板",
    "请问{}这个运单什么时候能到",
    "老板，发的快递是{}吗？帮我查下",
)
EN_REQUESTS = (
    "Can you track {} for me please?",
    "where is my package {}",
    "Tracking number: {}",
    "hi, my parcel {} hasn't moved for days",
    "Please check shipment {} thanks",
    "track {}",
    "Any update on {}? It was shipped last week.",
    "/track {}",
)


@dataclass(frozen=True)
class Sample:
    """One message and the numbers in it (with the carrier the format names, or None)."""

    kind: str
    style: str  # "bare", "zh", "en" or "negative"
    text: str
    number: str | None
    carrier: str | None


def positives(seed: int = 12, per_kind: int = 6) -> list[Sample]:
    """Every kind, ``per_kind`` numbers each: bare, in a Chinese and in an English request."""
    rng = random.Random(seed)
    samples = []
    for kind in KINDS:
        for _ in range(per_kind):
            number = kind.make(rng)
            samples.append(Sample(kind.name, "bare", number, number, kind.carrier))
            zh = rng.choice(ZH_REQUESTS).format(number)
            samples.append(Sample(kind.name, "zh", zh, number, kind.carrier))
            en = rng.choice(EN_REQUESTS).format(number)
            samples.append(Sample(kind.name, "en", en, number, kind.carrier))
    return samples


def _mobile(rng):
    return "1" + rng.choice("3456789") + _digits(rng, 9)


def _bank_card(rng):
    body = rng.choice(("622588", "621700", "436742", "525998", "623058")) + _digits(rng, 9)
    return n.luhn(body + (_digits(rng, 3) if rng.random() < 0.5 else ""))


def _grouped(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def _id_card(rng):
    region = rng.choice(("110105", "440305", "310104", "320583"))
    year = str(rng.randint(1960, 2005))
    date = f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return n.id_card(region + year + date + _digits(rng, 3))


def _imei(rng):
    return n.luhn(rng.choice(("35", "86")) + _digits(rng, 12))


NEGATIVES: tuple[tuple[str, Callable[[random.Random], str]], ...] = (
    ("mobile_bare", _mobile),
    ("mobile_zh", lambda rng: f"我手机号是{_mobile(rng)}，到了打电话"),
    ("mobile_en", lambda rng: f"call me at +86 {_mobile(rng)} when it arrives"),
    ("landline", lambda rng: f"客服电话 0{rng.choice(('10', '21', '755'))}-{_digits(rng, 8)}"),
    ("id_card", lambda rng: f"身份证号 {_id_card(rng)}"),
    ("id_card_bare", _id_card),
    ("bank_card", lambda rng: f"打到我卡上 {_grouped(_bank_card(rng))}"),
    ("bank_card_bare", _bank_card),
    ("date", lambda rng: f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 14:30 发的货"),
    (
        "datetime14",
        lambda rng: (
            f"下单时间 2026{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}"
        ),
    ),
    ("amount", lambda rng: f"一共付了 ¥{rng.randint(10000000, 99999999)}.00"),
    (
        "amount_en",
        lambda rng: f"total was ${rng.randint(1, 999)},{_digits(rng, 3)},{_digits(rng, 3)}",
    ),
    ("coupon", lambda rng: f"优惠码 {_digits(rng, 12)} 下单立减"),
    ("verification", lambda rng: f"您的验证码是{_digits(rng, 8)}，5分钟内有效"),
    ("pickup", lambda rng: f"【菜鸟驿站】凭取件码 {_digits(rng, 8)} 到xx小区驿站取件"),
    ("imei", lambda rng: f"IMEI: {_imei(rng)}"),
    ("order_zh", lambda rng: f"订单号：{rng.choice(('2', '3', '4'))}{_digits(rng, 18)}"),
    ("order_en", lambda rng: f"Order #{_digits(rng, 3)}-{_digits(rng, 7)}-{_digits(rng, 7)}"),
    ("order_whole", lambda rng: f"{rng.choice(('2', '3', '4'))}{_digits(rng, 17)}"),
    ("invoice", lambda rng: f"发票号码 {_digits(rng, 8)} 发票代码 0{_digits(rng, 11)}"),
    ("tax_id", lambda rng: f"税号 {n.uscc(rng.choice(('91', '92', '93')) + _digits(rng, 15))}"),
    ("qq", lambda rng: f"加我QQ {rng.randint(10000000, 2999999999)}"),
    ("bad_s10", lambda rng: n.s10_wrong("RR", _digits(rng, 8), "CN")),
    ("bad_ups", lambda rng: n.ups_wrong(_digits(rng, 6) + "03" + _digits(rng, 7))),
)


def negatives(seed: int = 12, per_kind: int = 8) -> list[Sample]:
    """Look-alikes, bare or in the sentences people put them in."""
    rng = random.Random(seed)
    return [
        Sample(name, "negative", make(rng), None, None)
        for name, make in NEGATIVES
        for _ in range(per_kind)
    ]


Detector = Callable[[str], list[tuple[str, list[str]]]]


@dataclass
class Tally:
    """Counts for one group of samples."""

    total: int = 0
    hits: int = 0
    carrier_total: int = 0
    carrier_right: int = 0

    @property
    def rate(self) -> float:
        """Found (positives) or falsely reported (negatives) over total."""
        return self.hits / self.total if self.total else 1.0

    @property
    def carrier_rate(self) -> float:
        """The named carrier top-1 or among candidates, over found numbers that name one."""
        return self.carrier_right / self.carrier_total if self.carrier_total else 1.0


def score(detector: Detector, samples: list[Sample]) -> dict[str, Tally]:
    """Tallies by style ("bare", "zh", "en", "negative"), by kind ("kind:<name>"), and "all"."""
    tallies: dict[str, Tally] = {}
    for sample in samples:
        found = dict(detector(sample.text))
        for key in (sample.style, f"kind:{sample.kind}", "all" if sample.number else "neg"):
            tally = tallies.setdefault(key, Tally())
            tally.total += 1
            if sample.number is None:
                tally.hits += bool(found)
                continue
            if sample.number in found:
                tally.hits += 1
                if sample.carrier is not None:
                    tally.carrier_total += 1
                    tally.carrier_right += sample.carrier in found[sample.number]
    return tallies


def misses(detector: Detector, samples: list[Sample]) -> list[Sample]:
    """Positives not found and negatives reported."""
    wrong = []
    for sample in samples:
        found = dict(detector(sample.text))
        if (sample.number is None) == bool(found) or (
            sample.number is not None and sample.number not in found
        ):
            wrong.append(sample)
    return wrong
