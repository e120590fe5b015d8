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


def test_detect_ranks_with_the_learned_table_of_the_bots_database(tmp_path, db_url, clock):
    """`kuaidi-bot detect` reads DATABASE_URL (or DATA_DIR's SQLite file) when there is one."""
    from adapters.cli import learned_table
    from bot.settings import Settings
    from bot.storage import open_database
    from bot.storage.patterns import PatternStore

    number = "JP0012345679"
    empty_dir = Settings(_env_file=None, data_dir=tmp_path / "none", database_url=None)
    assert learned_table(empty_dir) is None
    assert not (tmp_path / "none").exists()  # no database is created just to detect
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=db_url)
    db = open_database(settings.db_url)
    for _ in range(3):
        PatternStore(db, clock).record(number, "jtexpresssg")
    db.dispose()
    line = json.dumps({"text": number}) + "\n"
    before, after = io.StringIO(), io.StringIO()
    detect_stream(io.StringIO(line), before)
    detect_stream(io.StringIO(line), after, learned_table(settings))
    assert json.loads(before.getvalue())["found"][0]["carrier"] == "jtexpress"
    assert json.loads(after.getvalue())["found"][0]["carrier"] == "jtexpresssg"
