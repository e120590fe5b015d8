"""The house rules that code review alone would let slip: import direction and sizes."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = ("flask", "werkzeug", "telegram", "wechatpy", "lark_oapi", "adapters")
# Pure rooms that must not reach into the rest of the bot (except waybills → carriers).
PURE_ROOMS = {"waybills": {"bot.waybills", "bot.carriers"}, "carriers": {"bot.carriers"}}


def imported_modules(path: Path) -> set[str]:
    """Top-level and nested imports of one file, as dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def core_files() -> list[Path]:
    return sorted((ROOT / "bot").rglob("*.py"))


def test_core_imports_no_web_framework_platform_sdk_or_adapters():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN_IN_CORE
        )
        for path in core_files()
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


def test_pure_rooms_import_only_themselves():
    for room, allowed in PURE_ROOMS.items():
        for path in (ROOT / "bot" / room).rglob("*.py"):
            bot_imports = {m for m in imported_modules(path) if m.startswith("bot.")}
            stray = {m for m in bot_imports if not any(m.startswith(a) for a in allowed)}
            assert not stray, f"{path.relative_to(ROOT)} imports {sorted(stray)}"


def test_the_boundary_check_catches_an_offender(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("import flask\nfrom adapters.web import create_app\n", encoding="utf-8")
    assert {"flask", "adapters.web"} <= imported_modules(sample)


def test_source_files_stay_small():
    too_long = {
        str(p.relative_to(ROOT)): n
        for p in [*core_files(), *sorted((ROOT / "adapters").rglob("*.py"))]
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert too_long == {}
