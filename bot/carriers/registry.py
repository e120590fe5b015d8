"""Carrier registry: the shipped kuaidi100 carrier list, lookups, paged search, names in text.

The registry is read-only after loading; an optional override file written by
``bot.carriers.sync`` adds the upstream vendor's codes and carriers the shipped list lacks.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SHIPPED_PATH = Path(__file__).with_name("carriers.json")

# Short names that are everyday words or place names; matching them in chat would invent
# carrier mentions ("天天" = every day, "美国" = the USA).
_TEXT_STOPWORDS = frozenset(
    [
        "天天",
        "快捷",
        "全一",
        "美国",
        "印度",
        "越南",
        "台湾",
        "澳门",
        "也门",
        "冰岛",
        "埃及",
        "巴林",
        "文莱",
        "波兰",
        "波黑",
        "秘鲁",
        "约旦",
        "阿曼",
        "黑山",
        "芬兰",
        "明亮",
        "凤凰",
        "小米",
        "当当",
        "国美",
        "大洋",
        "城际",
        "民航",
        "快达",
        "递达",
        "中国",
        "国际",
        "速递",
        "快递",
        "物流",
        "贝宁",
        "加纳",
        "多哥",
        "航空快递",
        "CN",
        "US",
        "EN",
    ]
)
_MIN_LATIN_LEN = 2


@dataclass(frozen=True)
class Carrier:
    """One carrier: kuaidi100 code, names, vendor-independent aliases and contacts."""

    code: str
    name: str
    short_name: str
    aliases: tuple[str, ...]
    phone: str
    website: str
    list_order: int | None


@dataclass(frozen=True)
class CarrierPage:
    """One page of a search, shaped like the upstream carrier list (page, count, pagecount)."""

    items: tuple[Carrier, ...]
    page: int
    count: int
    pagecount: int


def _fold(text: str) -> str:
    """Fold a name for comparison: NFKC, upper case, no spaces."""
    return unicodedata.normalize("NFKC", text).upper().replace(" ", "")


def _rank(carrier: Carrier) -> tuple[int, str]:
    """Sort key: the popularity order of the reference list first, then code."""
    order = carrier.list_order if carrier.list_order is not None else 10**6
    return order, carrier.code


class Registry:
    """Lookups over a fixed set of carriers."""

    def __init__(self, carriers: list[Carrier], vendor_codes: dict[str, str]) -> None:
        self._carriers = sorted(carriers, key=_rank)
        self._by_code = {c.code: c for c in self._carriers}
        self._vendor_codes = dict(vendor_codes)
        self._by_key: dict[str, Carrier] = {}
        # Earlier (more popular) carriers win a shared alias; curated aliases beat names.
        for field in ("aliases", "code", "name", "short_name"):
            for carrier in self._carriers:
                values = carrier.aliases if field == "aliases" else (getattr(carrier, field),)
                for value in values:
                    if value:
                        self._by_key.setdefault(_fold(value), carrier)
        for code, vendor in self._vendor_codes.items():
            if code in self._by_code:
                self._by_key.setdefault(_fold(vendor), self._by_code[code])
        self._text_index = self._build_text_index()

    def __len__(self) -> int:
        return len(self._carriers)

    def __iter__(self):
        return iter(self._carriers)

    def get(self, code_or_alias: str) -> Carrier | None:
        """Return the carrier with this code, vendor code, name or alias (any case)."""
        if code_or_alias in self._by_code:
            return self._by_code[code_or_alias]
        return self._by_key.get(_fold(code_or_alias))

    def vendor_code(self, code: str) -> str | None:
        """The upstream vendor's code for a carrier; its kuaidi100 code unless it differs.

        None when the carrier is unknown.
        """
        carrier = self.get(code)
        if carrier is None:
            return None
        return self._vendor_codes.get(carrier.code, carrier.code)

    def search(self, keyword: str, page: int = 1, per_page: int = 10) -> CarrierPage:
        """Carriers whose code, names or aliases contain ``keyword``, best matches first."""
        per_page = max(1, per_page)
        key = _fold(keyword or "")
        scored = []
        for carrier in self._carriers:
            score = self._match_score(carrier, key)
            if score is not None:
                scored.append((score, _rank(carrier), carrier))
        scored.sort(key=lambda item: (item[0], item[1]))
        count = len(scored)
        pagecount = math.ceil(count / per_page) if count else 0
        page = max(1, page)
        start = (page - 1) * per_page
        items = tuple(item[2] for item in scored[start : start + per_page])
        return CarrierPage(items=items, page=page, count=count, pagecount=pagecount)

    def _match_score(self, carrier: Carrier, key: str) -> int | None:
        """0 exact, 1 prefix, 2 substring, None no match (empty keyword matches all)."""
        if not key:
            return 0
        values = [carrier.code, carrier.name, carrier.short_name, *carrier.aliases]
        vendor = self._vendor_codes.get(carrier.code)
        if vendor:
            values.append(vendor)
        best = None
        for value in values:
            folded = _fold(value)
            if not folded or key not in folded:
                continue
            score = 0 if folded == key else 1 if folded.startswith(key) else 2
            best = score if best is None else min(best, score)
        return best

    def _build_text_index(self) -> dict[str, list[tuple[str, Carrier, bool]]]:
        """First two characters -> [(name, carrier, is_latin)], longest names first.

        Names are NFKC + upper case with spaces kept, as they appear in folded chat text.
        """
        names: dict[str, Carrier] = {}
        for carrier in self._carriers:
            candidates = [*carrier.aliases, carrier.name]
            if carrier.short_name and carrier.list_order is not None:
                candidates.append(carrier.short_name)
            for value in candidates:
                name = " ".join(unicodedata.normalize("NFKC", value).upper().split())
                if len(name) < 2 or name in _TEXT_STOPWORDS or "订单" in name:
                    continue
                if name.isascii() and not _latin_name_ok(name):
                    continue
                names.setdefault(name, self.get(value) or carrier)
        index: dict[str, list[tuple[str, Carrier, bool]]] = {}
        for name, carrier in names.items():
            index.setdefault(name[:2], []).append((name, carrier, name.isascii()))
        for entries in index.values():
            entries.sort(key=lambda e: -len(e[0]))
        return index

    def find_spans(self, text: str) -> list[tuple[int, int, Carrier]]:
        """Carrier names in ``text`` as (start, end, carrier), positions in the folded text.

        The text is folded with NFKC + upper case so positions line up with ``bot.waybills``
        normalisation; Latin names must stand as whole words.
        """
        folded = unicodedata.normalize("NFKC", text).upper()
        spans = []
        i, size = 0, len(folded)
        index = self._text_index
        while i < size - 1:
            hit = None
            for name, carrier, latin in index.get(folded[i : i + 2], ()):
                end = i + len(name)
                if folded.startswith(name, i) and (not latin or _word_bounded(folded, i, end)):
                    hit = (i, end, carrier)
                    break
            if hit:
                spans.append(hit)
                i = hit[1]
            else:
                i += 1
        return spans

    def find_in_text(self, text: str) -> list[Carrier]:
        """Carriers named in a message (顺丰, 中通, "SF Express", "UPS"), in order, no repeats."""
        seen: dict[str, Carrier] = {}
        for _, _, carrier in self.find_spans(text):
            seen.setdefault(carrier.code, carrier)
        return list(seen.values())


def _latin_name_ok(folded: str) -> bool:
    """Latin names worth matching in chat: letters only (plus & . -), at least 2 long."""
    stripped = folded.replace("&", "").replace(".", "").replace("-", "").replace(" ", "")
    return len(stripped) >= _MIN_LATIN_LEN and stripped.isalpha()


def _word_bounded(text: str, start: int, end: int) -> bool:
    """True when no ASCII letter touches the match (digits may: 'SF1234…' names SF)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalpha()) and not (
        after.isascii() and after.isalpha()
    )


def _carrier_from_row(row: dict) -> Carrier:
    return Carrier(
        code=row["code"],
        name=row.get("name", ""),
        short_name=row.get("short_name", ""),
        aliases=tuple(row.get("aliases", ())),
        phone=row.get("phone", ""),
        website=row.get("website", ""),
        list_order=row.get("list_order"),
    )


def load_registry(override_path: str | Path | None = None) -> Registry:
    """Load the shipped carriers, merged with a sync override file when given and present."""
    document = json.loads(SHIPPED_PATH.read_text(encoding="utf-8"))
    rows = {row["code"]: dict(row) for row in document["carriers"]}
    vendor_codes = dict(document.get("vendor_codes", {}))
    if override_path is not None and Path(override_path).exists():
        override = json.loads(Path(override_path).read_text(encoding="utf-8"))
        _merge_override(rows, vendor_codes, override)
    return Registry([_carrier_from_row(row) for row in rows.values()], vendor_codes)


def _merge_override(rows: dict[str, dict], vendor_codes: dict[str, str], override: dict) -> None:
    """Apply a sync override: extra aliases, vendor codes, filled contacts, added carriers."""
    for code, aliases in override.get("aliases", {}).items():
        if code in rows:
            merged = list(rows[code].get("aliases", []))
            merged += [a for a in aliases if a not in merged]
            rows[code]["aliases"] = merged
    for code, contacts in override.get("contacts", {}).items():
        if code in rows:
            for field in ("phone", "website"):
                if contacts.get(field) and not rows[code].get(field):
                    rows[code][field] = contacts[field]
    for row in override.get("added", []):
        rows.setdefault(row["code"], row)
    vendor_codes.update(override.get("vendor_codes", {}))


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The shipped registry, loaded once per process."""
    return load_registry()
