"""Layering inside `bot/`: a room imports only rooms of lower layers, never one above it.

Lowest first: the vocabulary (waybills, carriers, models and the other small modules at the
bottom), image reading (vision: waybill detection applied to barcodes and printed text),
storage, the upstream API and the runtime (side by side, neither knowing the other), one
lookup through the upstream, subscriptions, the tracking dialogue, the command handlers, and
the engine that routes to them. Only the bottom layer's rooms may import each other.
"""

from __future__ import annotations

from pathlib import Path

from tests.architecture.test_boundaries import ROOT, imported_modules

LAYERS: list[set[str]] = [
    {
        "waybills",
        "carriers",
        "models",
        "tracking",
        "texts",
        "texts_chat",
        "texts_photos",
        "language",
        "clock",
        "settings",
        "masking",
        "render",
        "commands",
        "timeline",
    },
    {"vision"},
    {"storage"},
    {"upstream", "runtime"},
    {"lookup"},
    {"subscriptions"},
    {"dialogue"},
    {"engine_commands"},
    {"engine"},
]
RANK = {room: rank for rank, rooms in enumerate(LAYERS) for room in rooms}


def room_of(module: str) -> str:
    """`bot.storage.db` → `storage`; `bot.engine` → `engine`."""
    return module.split(".")[1]


def upward_imports(path: Path, module: str) -> list[str]:
    """The `bot.*` imports of one file that break the layering."""
    own = room_of(module)
    wrong = []
    for imported in sorted(m for m in imported_modules(path) if m.startswith("bot.")):
        other = room_of(imported)
        if other == own:
            continue
        if RANK[other] > RANK[own] or (RANK[other] == RANK[own] and RANK[own] > 0):
            wrong.append(imported)
    return wrong


def bot_modules() -> list[tuple[Path, str]]:
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1:
            found.append((path, ".".join(parts)))
    return found


def test_every_room_of_bot_has_a_layer():
    rooms = {room_of(module) for _path, module in bot_modules()}
    assert rooms - set(RANK) == set()


def test_no_room_imports_a_room_above_it():
    offenders = {
        module: wrong for path, module in bot_modules() if (wrong := upward_imports(path, module))
    }
    assert offenders == {}


def test_the_layer_check_catches_an_upward_import(tmp_path):
    sample = tmp_path / "store.py"
    sample.write_text("from bot.engine import Engine\nfrom bot.clock import Clock\n")
    assert upward_imports(sample, "bot.storage.store") == ["bot.engine"]
    sibling = tmp_path / "upstream.py"
    sibling.write_text("from bot.runtime.ports import Sender\n")
    assert upward_imports(sibling, "bot.upstream.client") == ["bot.runtime.ports"]
