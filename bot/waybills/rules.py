"""The declarative carrier rule table: one ``Rule`` per number format.

A rule says: a canonical number that fully matches ``pattern`` (and passes ``check`` when one
is given) is a ``carrier`` waybill with confidence ``prior`` before context is considered.
Priors below the report threshold (0.5) mean "only with context words": bare digit runs that
several formats fit. ``fail_prior`` keeps distinctive prefixed formats whose check digit
failed (a typo is likelier than a look-alike). ``carrier=None`` recognises a number whose
carrier the format does not tell. Adding a carrier is adding one entry here.
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


def _s10(carrier: str, country: str, prior: float = 0.9) -> Rule:
    """UPU S10 item id of one postal operator, by its ISO country suffix."""
    return Rule(carrier, rf"[A-Z]{{2}}\d{{9}}{country}", prior, ck.s10_valid)


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
    Rule("ups", r"1Z[0-9A-Z]{15}\d", 0.98, ck.ups_valid, fail_prior=0.55),
    Rule("ups", r"[AHJKTV]\d{10}", 0.3, ck.ups_waybill_valid),
    Rule("dhl", r"J[A-Z]{2,3}\d{9,10}", 0.7),
    Rule("dhl", r"GM\d{16,20}", 0.6),
    # UPU S10: service letters, serial, check, country. China Post: E* is EMS.
    Rule("ems", r"E[A-Z]\d{9}CN", 0.96, ck.s10_valid),
    Rule("youzhengguoji", r"[A-DF-Z][A-Z]\d{9}CN", 0.94, ck.s10_valid),
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
    Rule(None, r"[A-Z]{2}\d{9}[A-Z]{2}", 0.75, ck.s10_valid),
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
    # Digits only, decided by a check digit (SF legacy 12, FedEx, USPS, DHL).
    Rule("shunfeng", r"\d{12}", 0.45, ck.sf_valid),
    Rule("fedex", r"\d{12}", 0.42, ck.fedex12_valid),
    Rule("zhongtongkuaiyun", r"\d{12}", 0.12),
    Rule("annengwuliu", r"\d{12}", 0.1),
    Rule("fedex", r"\d{15}", 0.35, ck.fedex_ground15_valid),
    Rule("fedex", r"96\d{20}", 0.85, ck.fedex_ground96_valid),
    Rule("fedex", r"00\d{16}", 0.6, ck.sscc18_valid),
    Rule("fedex", r"\d{34}", 0.6, ck.fedex34_valid),
    Rule("usps", r"(?:420\d{5}(?:\d{4})?)?9[1-5]\d{20}(?:\d{4})?", 0.9, ck.usps_impb_valid),
    Rule("usps", r"\d{20}", 0.55, ck.usps20_valid),
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
