"""detect_stream: JSON lines in, one JSON line out per input line, fast and crash-free."""

from __future__ import annotations

import io
import json

from bot.waybills.cli import detect_stream
from tests.waybills import numbers as n

SF = n.sf("123456789012")


def run(lines: list[str]) -> list[dict]:
    out = io.StringIO()
    count = detect_stream(io.StringIO("".join(line + "\n" for line in lines)), out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(results) == len(lines)
    return results


def test_output_shape_and_order():
    results = run(
        [
            json.dumps({"text": f"顺丰单号 {SF}"}, ensure_ascii=False),
            json.dumps({"text": "手机 13812345678"}, ensure_ascii=False),
            json.dumps({"text": f"{SF} / 75123456789012"}),
        ]
    )
    first = results[0]["found"][0]
    assert first["number"] == SF and first["carrier"] == "shunfeng"
    assert first["candidates"][0] == {"carrier": "shunfeng", "confidence": 0.99}
    assert results[1] == {"found": []}
    assert [f["number"] for f in results[2]["found"]] == [SF, "75123456789012"]


def test_bad_lines_give_errors_not_crashes():
    results = run(["{not json", "", "[1, 2]", '{"text": 5}', json.dumps({"text": SF})])
    for bad in results[:4]:
        assert bad["found"] == [] and bad["error"]
    assert results[4]["found"][0]["number"] == SF


def test_carrier_null_when_unknown():
    (result,) = run([json.dumps({"text": "registered mail " + n.s10("RR", "87654321", "ZA")})])
    assert result["found"][0]["carrier"] is None and result["found"][0]["candidates"] == []


def test_ten_thousand_lines_in_one_stream():
    """Volume and order only; the speed is measured by bench/detection.py, not asserted."""
    texts = [
        f"单号{n.sf(f'{i:012d}')}，电话13812345678" if i % 3 == 0 else "好的，谢谢"
        for i in range(10_000)
    ]
    lines = [json.dumps({"text": t}, ensure_ascii=False) for t in texts]
    results = run(lines)
    assert len(results) == 10_000
    assert sum(len(r["found"]) for r in results) == 3334
    assert results[1] == {"found": []}
