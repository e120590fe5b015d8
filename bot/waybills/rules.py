"""The declarative carrier rule table: one ``Rule`` per number format.

A rule says: a canonical number that fully matches ``pattern`` (and passes ``check`` when one
is given) is a ``carrier`` waybill with confidence ``prior`` before context is considered.
Priors below the report threshold (0.5) mean "only with context words": bare digit runs that
several formats fit. ``fail_prior`` keeps distinctive prefixed formats whose check digit
failed (a typo is likelier than a look-alike). ``strict`` formats are distinctive enough that
a failed check means "not a waybill" (a number a validator rejects), even in a request.
``carrier=None`` recognises a number whose carrier the format does not tell. Adding a carrier
is adding one entry here.

Sources (formats read and restated, never their code or test numbers): docs/waybills.md (§1 for
Chinese carriers, with kuaidi100's 2018 number hints in data/carriers.json), jkeen/
tracking_number_data (MIT; UPS, FedEx, DHL, USPS, S10, OnTrac, LaserShip, Amazon, GOFO,
Spee-Dee, Landmark, Yodel, Canpar, Canada Post, DPD), carriers' tracking pages (JD VA/VB/VC,
KYE, UC, ANE, TTK, Yimidida, Suning SN, Cainiao LP), Indonesian couriers' resi prefixes (TIKI
TKP, Ninja NV…/NLIDAP, J&T Indonesia JP/JX/JO), the mod-7 check digit of Yamato/Sagawa/Japan
Post and of Korea's CJ/Lotte/Hanjin/Logen numbers. Digit-only formats with no check (Korea
Post, Indonesia's SiCepat and AnterAja, J&T in South-East Asia) share lengths with Chinese ones:
no rule; the message's intent reports them and the upstream names the carrier
(``bot.waybills.intent``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.waybills import checksums as ck


@dataclass(frozen=True)
class Rule:
    """One number format of one carrier."""

    carrier: str | None
    pattern: str
    prior: float
    check: Callable[[str], bool] | None = None
    fail_prior: float | None = None
    strict: bool = False


def _s10(carrier: str, country: str, prior: float = 0.9) -> Rule:
    """UPU S10 item id of one postal operator, by its ISO country suffix."""
    return Rule(carrier, rf"[A-Z]{{2}}\d{{9}}{country}", prior, ck.s10_valid, strict=True)


RULES: tuple[Rule, ...] = (
    # Letter-prefixed formats: the prefix names the carrier (docs/waybills.md §1, §2).
    Rule("shunfeng", r"SF\d{13}", 0.97, ck.sf_valid, fail_prior=0.6),
    Rule("shunfeng", r"SF\d{12}", 0.8, ck.sf_valid),
    Rule("yuantong", r"YT\d{13}", 0.95),
    Rule("yuntrack", r"YT\d{16}", 0.93),
    Rule("jtexpress", r"JT\d{13}", 0.95),
    Rule("jtexpress", r"JT\d{12}", 0.6),
    Rule("jd", r"JD[0-9A-Z]{2}\d{11}", 0.93),
    Rule("debangkuaidi", r"DPK\d{12}", 0.95),
    Rule("debangkuaidi", r"DP[A-JL-Z]\d{12}", 0.7),
    Rule("ups", r"1Z[0-9A-Z]{15}\d", 0.98, ck.ups_valid, strict=True),
    Rule("ups", r"[AHJKTV]\d{10}", 0.3, ck.ups_waybill_valid, strict=True),
    Rule("dhl", r"J[A-Z]{2,3}\d{9,10}", 0.7),
    Rule("dhl", r"GM\d{16,20}", 0.6),
    # UPU S10: service letters, serial, check, country. China Post: E* is EMS.
    Rule("ems", r"E[A-Z]\d{9}CN", 0.96, ck.s10_valid, strict=True),
    Rule("youzhengguoji", r"[A-DF-Z][A-Z]\d{9}CN", 0.94, ck.s10_valid, strict=True),
    _s10("usps", "US", 0.94),
    _s10("hkpost", "HK"),
    _s10("japanposten", "JP"),
    _s10("royalmail", "GB"),
    _s10("canpost", "CA"),
    _s10("auspost", "AU"),
    _s10("deutschepost", "DE"),
    _s10("laposte", "FR"),
    _s10("postnl", "NL"),
    _s10("koreapost", "KR"),
    _s10("singpost", "SG"),
    _s10("swisspost", "CH"),
    _s10("postserv", "TW"),
    Rule(None, r"[A-Z]{2}\d{9}[A-Z]{2}", 0.75, ck.s10_valid, strict=True),
    # More letter prefixes that name their carrier.
    Rule("jd", r"V[A-C]\d{11}", 0.85),  # JD's VA/VB/VC numbers without the JD
    Rule("swiship", r"TB[ACM]\d{12}", 0.95),  # Amazon Logistics (jkeen amazon.json)
    Rule("suning", r"SN\d{10,14}", 0.75),
    Rule(None, r"LP\d{14}", 0.75),  # Cainiao cross-border: handed to several carriers
    Rule("kuayue", r"KYE\d{8,14}", 0.9),
    Rule("youshuwuliu", r"UC\d{10,14}", 0.8),
    Rule("annengwuliu", r"ANE\d{8,14}", 0.85),
    Rule("yimidida", r"YMDD?\d{10,14}", 0.8),
    Rule("danniao", r"DN\d{11,15}", 0.7),
    Rule("tiantian", r"TTK\d{8,14}", 0.85),
    Rule("yuantong", r"88\d{16}", 0.85),  # 18 digits (docs §1: "88"+16)
    Rule("yuantong", r"[A-Z]\d{9}", 0.35),  # letter + 9 (2018 hint: 10 alphanumerics, V*)
    Rule("tiki", r"TKP\d{8,12}", 0.85),
    Rule("ninjavan", r"(?:NV[A-Z]{2,6}|NLIDAP)\d{8,14}", 0.85),
    Rule("jtexpress", r"J[PXOB]\d{10}", 0.6),  # J&T Indonesia
    # North American last-mile carriers (jkeen ontrac, lasership, gofo, speedee, landmark…).
    Rule("ontrac", r"[CD]\d{14}", 0.93, ck.ontrac_valid, strict=True),
    Rule("lasership", r"L[AIEHNX][1-3]\d{7}", 0.85),
    Rule("lasership", r"1LS7[12]\d{10}|1LS7[12]\d{2}01[1-4]\d{6}1?|1LSCX[0-9A-Z]{10}", 0.9),
    Rule(None, r"GFUS\d{14}", 0.9),  # GOFO Express: no registry code
    Rule(None, r"SP\d{18}", 0.6),  # Spee-Dee
    Rule("landmarkglobal", r"LTN\d{8}N1", 0.9),
    Rule("yodel", r"J?JD\d{16}", 0.85),
    Rule("canpar", r"[CDKLSUXZ]\d{21}", 0.7),
    Rule("purolator", r"[A-Z]{3}\d{9}", 0.4),
    Rule("dpd", r"\d{14}[0-9A-Z]", 0.55, ck.dpd_valid),  # 14 + check (mod 37,36)
    Rule("dpd", r"\d{27}[0-9A-Z]", 0.8, ck.dpd_valid, strict=True),  # zip + 14 + service…
    Rule("dhl", r"(?:GM|LX|RX|UV|CN|SG|TH|IN|HK|MY)\d{10,38}", 0.55),  # eCommerce
    Rule("dhl", r"GM(?=[0-9A-Z]*\d)[0-9A-Z]{10,39}", 0.5),  # Global Mail, alphanumeric
    Rule("fedex", r"3\d{31}", 0.75, ck.fedex_astra_valid, strict=True),  # ASTRA 32
    Rule(None, r"(?:77[78]|072|780)\d{8}|80\d{9}", 0.3, ck.luhn_valid),  # Old Dominion
    # Digits only, prefix + length (§1 table; priors, not certainties).
    Rule("zhongtong", r"7[3-68]\d{12}", 0.88),
    Rule("zhongtong", r"7[0-279]\d{12}", 0.4),
    Rule("shentong", r"77\d{13}", 0.88),
    Rule("shentong", r"77\d{12}", 0.45),
    Rule("huitongkuaidi", r"(?:50|70)\d{12}", 0.3),
    Rule("yunda", r"[34]\d{14}", 0.82),
    Rule("ems", r"(?:1[0-2]|5[0-2]|95|97)\d{11}", 0.88, ck.china_post13_valid),
    Rule("youzhengguonei", r"(?:1[0-2]|5[0-2]|95|97)\d{11}", 0.3, ck.china_post13_valid),
    Rule("youzhengguonei", r"9[89]\d{11}", 0.62),
    Rule("youzhengguonei", r"96\d{11}", 0.42),
    Rule("ems", r"9[689]\d{11}", 0.2),
    Rule("yunda", r"39\d{11}", 0.3),
    Rule("shentong", r"(?:[2-9]68|588|888)\d{9,10}", 0.3),
    # Older or regional digit-only formats: candidates for the context to confirm.
    Rule("yunda", r"(?:3[1-9]|4[0-6]|5\d)\d{11}", 0.3),  # 13 digits (docs §1 "older")
    Rule("zhongtong", r"2008\d{8}|6\d{11}|010\d{9}|75\d{10}", 0.3),  # 12 digits (2018 hint)
    Rule("huitongkuaidi", r"5[05-7]\d{10}(?:\d{3})?", 0.3),  # 12 and 15 digits, 50*/55*
    Rule("yuantong", r"[68]\d{9}", 0.25),  # 10 digits 6*/8* (2018 hint)
    Rule("jd", r"[2-9]\d{10}", 0.15),  # 11 digits (2018 sample form): a candidate only
    Rule("yamato", r"\d{12}", 0.22, ck.mod7_valid),
    Rule("sagawa", r"\d{12}", 0.2, ck.mod7_valid),
    Rule("japanpost", r"\d{12}", 0.2, ck.mod7_valid),
    Rule("canpost", r"\d{16}", 0.45, ck.canpost16_valid, strict=True),
    Rule("purolator", r"[0-5]\d{11}", 0.2, ck.luhn_valid),
    Rule(None, r"[FC]\d{10}", 0.3),  # Amazon international (A… is UPS's waybill)
    # Korean domestic carriers: the last digit is the rest mod 7 like Japan's.
    Rule("cjkoreaexpress", r"\d{10}|\d{12}", 0.22, ck.mod7_valid),
    Rule("lotteglogis", r"\d{12}", 0.2, ck.mod7_valid),
    Rule("hanjin", r"\d{10}|\d{12}", 0.2, ck.mod7_valid),
    Rule("ilogen", r"\d{11}", 0.22, ck.mod7_valid),
    # Digits only, decided by a check digit (SF legacy 12, FedEx, USPS, DHL).
    Rule("shunfeng", r"\d{12}", 0.45, ck.sf_valid),
    Rule("fedex", r"\d{12}", 0.42, ck.fedex12_valid),
    Rule("zhongtongkuaiyun", r"\d{12}", 0.12),
    Rule("annengwuliu", r"\d{12}", 0.1),
    Rule("fedex", r"\d{15}", 0.35, ck.fedex_ground15_valid),
    Rule("fedex", r"96\d{20}", 0.85, ck.fedex_ground96_valid, strict=True),
    Rule("fedex", r"00\d{16}", 0.6, ck.sscc18_valid, strict=True),
    Rule("fedex", r"\d{34}", 0.6, ck.fedex34_valid, strict=True),
    Rule(
        "usps",
        r"(?:420\d{5}(?:\d{4})?)?9[1-5]\d{20}(?:\d{4})?",
        0.9,
        ck.usps_impb_valid,
        strict=True,
    ),
    Rule("usps", r"\d{20}", 0.55, ck.usps20_valid, strict=True),
    # FedEx SmartPost and DHL eCommerce print USPS-routed numbers: same shapes, same checks.
    Rule("fedex", r"(?:420\d{5}(?:\d{4})?)?9[1-5]\d{20}(?:\d{4})?", 0.5, ck.usps_impb_valid),
    Rule("dhl", r"(?:420\d{5}(?:\d{4})?)?9[1-5]\d{20}(?:\d{4})?", 0.45, ck.usps_impb_valid),
    Rule("fedex", r"\d{20}", 0.45, ck.usps20_valid),
    Rule("dhl", r"\d{20}", 0.4, ck.usps20_valid),
    Rule("dhl", r"\d{10,11}", 0.35, ck.dhl_valid),
)


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    regex: re.Pattern[str]


def _width(pattern: str) -> tuple[int, int]:
    """Shortest and longest string a pattern matches, to index rules by length."""
    return re._parser.parse(pattern).getwidth()  # type: ignore[attr-defined]


def _index(rules: tuple[Rule, ...]) -> dict[int, tuple[_Compiled, ...]]:
    by_length: dict[int, list[_Compiled]] = {}
    for rule in rules:
        low, high = _width(rule.pattern)
        compiled = _Compiled(rule, re.compile(rule.pattern))
        for length in range(low, min(high, 40) + 1):
            by_length.setdefault(length, []).append(compiled)
    return {length: tuple(items) for length, items in by_length.items()}


_BY_LENGTH = _index(RULES)
MIN_LENGTH = min(_BY_LENGTH)
MAX_LENGTH = max(_BY_LENGTH)


def _literal_prefix(pattern: str) -> str:
    """The literal characters a pattern starts with ("SF", "TB", "1Z"), "" if none."""
    match = re.match(r"[A-Z0-9]+", pattern)
    prefix = match.group(0) if match else ""
    if len(pattern) > len(prefix) and pattern[len(prefix)] in "?*{":
        prefix = prefix[:-1]  # the last literal is optional or repeated
    return prefix


# Prefixes of two or more characters, at least one a letter, that only our formats use: a
# number starting with one that fits none of them is a mistyped one (what validators reject).
_PREFIXES = tuple(
    sorted(
        {
            p
            for p in (_literal_prefix(rule.pattern) for rule in RULES)
            if len(p) >= 2 and not p.isdigit()
        },
        key=len,
        reverse=True,
    )
)


@lru_cache(maxsize=4096)
def rejected(number: str) -> bool:
    """True when a number fits a distinctive format's shape (a strict rule) but fails its check,
    or starts with a carrier's own prefix (SF, JD, TBA, 1Z…) and fits none of its formats."""
    for compiled in _BY_LENGTH.get(len(number), ()):
        rule = compiled.rule
        if rule.strict and compiled.regex.fullmatch(number) and not rule.check(number):
            return True
    return number.startswith(_PREFIXES) and not match(number)


@lru_cache(maxsize=4096)
def match(number: str) -> tuple[tuple[str | None, float], ...]:
    """(carrier, prior) for every rule the canonical number satisfies, best prior first."""
    found: dict[str | None, float] = {}
    for compiled in _BY_LENGTH.get(len(number), ()):
        if not compiled.regex.fullmatch(number):
            continue
        rule = compiled.rule
        prior = rule.prior
        if rule.check is not None and not rule.check(number):
            if rule.fail_prior is None:
                continue
            prior = rule.fail_prior
        if prior > found.get(rule.carrier, -1.0):
            found[rule.carrier] = prior
    return tuple(sorted(found.items(), key=lambda item: -item[1]))
