"""`scripts/bootstrap` (run by `scripts/run` and `scripts/test`) says what it is doing on a
first start instead of sitting silent through a minute of installing. Played with a stand-in
Python whose venv's pip only records that it ran: no network, no real install."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAKE_PYTHON = """#!/bin/sh
# A stand-in python3: `-c` checks pass, `-m venv DIR` makes a venv whose pip records its call.
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"
    printf '#!/bin/sh\\n' > "$3/bin/python"
    printf '#!/bin/sh\\necho "$@" >> "%s/pip-calls"\\n' "$3" > "$3/bin/pip"
    chmod +x "$3/bin/python" "$3/bin/pip"
fi
exit 0
"""


def bootstrap(tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(tmp_path / "scripts" / "bootstrap")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHON": str(tmp_path / "python3")},
        timeout=60,
    )


def test_first_start_says_what_it_does_and_later_starts_are_quiet(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap", tmp_path / "scripts" / "bootstrap")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "python3").write_text(FAKE_PYTHON)
    (tmp_path / "python3").chmod(0o755)
    first = bootstrap(tmp_path)
    assert first.returncode == 0, first.stderr
    assert "creating the virtual environment" in first.stderr
    assert "installing kuaidi-bot and its dependencies" in first.stderr
    assert "-e" in (tmp_path / ".venv" / "pip-calls").read_text()
    again = bootstrap(tmp_path)
    assert again.returncode == 0 and again.stderr == ""
