"""Refresh the carrier registry from the upstream vendor's paged carrier list.

``sync_registry`` pages through ``fetch_page(page) -> (items, pagecount)`` (items are dicts with
Name, simName, phone, url, as the vendor returns them) and writes an override file that
``load_registry(override_path)`` merges over the shipped data: the vendor's ``simName`` becomes
the vendor code (and an alias) of the carrier with the same name; carriers the shipped list
lacks are added under the vendor's code. The caller does the HTTP; this module never does.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.carriers.registry import Carrier, Registry, load_registry

FetchPage = Callable[[int], tuple[list[dict], int]]
MAX_PAGES = 500
# Name endings that differ between lists for the same carrier (顺丰速运 / 顺丰快递 / 顺丰).
_NAME_SUFFIXES = ("快递", "速递", "速运")


@dataclass(frozen=True)
class SyncReport:
    """What a sync did: pages read, vendor entries matched to known carriers, carriers added."""

    pages: int
    matched: int
    added: int


def _name_keys(name: str) -> list[str]:
    """Exact name first, then the name without a generic suffix."""
    keys = [name.strip()]
    for suffix in _NAME_SUFFIXES:
        if keys[0].endswith(suffix) and len(keys[0]) > len(suffix) + 1:
            keys.append(keys[0][: -len(suffix)])
    return keys


def _match(registry: Registry, name: str, vendor_code: str) -> Carrier | None:
    """The shipped carrier a vendor entry denotes, by name, short name, alias or code."""
    for key in _name_keys(name):
        carrier = registry.get(key)
        if carrier is not None:
            return carrier
    return registry.get(vendor_code) if vendor_code else None


def fetch_all(fetch_page: FetchPage) -> tuple[list[dict], int]:
    """All vendor items across pages (1..pagecount), and the number of pages read."""
    items: list[dict] = []
    page, pagecount = 0, 1
    while page < pagecount and page < MAX_PAGES:
        page += 1
        page_items, pagecount = fetch_page(page)
        if not page_items:
            break
        items.extend(page_items)
    return items, page


def sync_registry(fetch_page: FetchPage, path: str | Path) -> SyncReport:
    """Page through the vendor list and write the override JSON file at ``path``."""
    shipped = load_registry()
    items, pages = fetch_all(fetch_page)
    override: dict = {"vendor_codes": {}, "aliases": {}, "contacts": {}, "added": []}
    matched = 0
    for item in items:
        # Vendor casing (Name/simName) or the upstream client's normalised rows (name/code).
        name = str(item.get("Name") or item.get("name") or "").strip()
        vendor_code = str(item.get("simName") or item.get("code") or "").strip()
        if not name or not vendor_code:
            continue
        carrier = _match(shipped, name, vendor_code)
        if carrier is None:
            override["added"].append(_added_row(item, name, vendor_code))
            continue
        matched += 1
        override["vendor_codes"][carrier.code] = vendor_code
        aliases = override["aliases"].setdefault(carrier.code, [])
        for alias in (vendor_code, name):
            if alias not in aliases and alias not in (carrier.code, carrier.name):
                aliases.append(alias)
        override["contacts"][carrier.code] = {
            "phone": str(item.get("phone") or ""),
            "website": str(item.get("url") or ""),
        }
    _write_atomically(Path(path), override)
    return SyncReport(pages=pages, matched=matched, added=len(override["added"]))


def _added_row(item: dict, name: str, vendor_code: str) -> dict:
    return {
        "code": vendor_code,
        "name": name,
        "short_name": "",
        "aliases": [],
        "phone": str(item.get("phone") or ""),
        "website": str(item.get("url") or ""),
        "list_order": None,
    }


def _write_atomically(path: Path, document: dict) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
