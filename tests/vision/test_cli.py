"""`kuaidi-bot scan`: one JSON line per image, errors as lines, exit 0 unless misused."""

from __future__ import annotations

import io
import json
import random

import pytest

from adapters.cli import main
from bot.vision import Limits
from bot.vision.cli import scan_files
from tests.vision import images


@pytest.fixture
def label_file(tmp_path):
    path = tmp_path / "label.jpg"
    path.write_bytes(images.encode(images.label("SF1403528671045", random.Random(4))))
    return path


def test_one_line_per_file_in_order(tmp_path, label_file):
    text = tmp_path / "notes.txt"
    text.write_text("运单号 SF1403528671045")
    out = io.StringIO()
    paths = [str(label_file), str(text), str(tmp_path / "missing.png"), str(tmp_path)]
    assert scan_files(paths, out, ocr=False) == 4
    first, second, third, fourth = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["file"] == str(label_file) and first["ms"] > 0
    assert first["found"] == [
        {
            "number": "SF1403528671045",
            "carrier": "shunfeng",
            "candidates": [{"carrier": "shunfeng", "confidence": 0.9}],
            "source": "barcode",
        }
    ]
    assert second == {"file": str(text), "error": "not_an_image"}
    assert third == {"file": str(tmp_path / "missing.png"), "error": "not_found"}
    assert fourth == {"file": str(tmp_path), "error": "unreadable"}


def test_a_huge_file_is_refused_without_reading_it_whole(tmp_path):
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + b"\0" * 5000)
    out = io.StringIO()
    scan_files([str(big)], out, Limits(max_bytes=1000), ocr=False)
    assert json.loads(out.getvalue()) == {"file": str(big), "error": "too_large"}


def test_the_command(monkeypatch, tmp_path, capsys, label_file):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(["scan", "--no-ocr", str(label_file)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["found"][0]["number"] == "SF1403528671045"
    with pytest.raises(SystemExit) as usage:
        main(["scan"])
    assert usage.value.code == 2
