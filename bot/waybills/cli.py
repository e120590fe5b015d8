"""Batch detection for scripts: JSON lines in, one JSON line of findings out per input line.

Run as ``kuaidi-bot detect``; reads ``{"text": "..."}`` per line and writes
``{"found": [{"number", "carrier", "candidates": [{"carrier", "confidence"}]}]}``.
"""

from __future__ import annotations

import json
from typing import TextIO

from bot.carriers import default_registry
from bot.waybills.extract import find_waybills
from bot.waybills.learned import Learned


def detect_line(line: str, learned: Learned | None = None) -> dict:
    """Findings for one input line; a bad line gives ``{"found": [], "error": ...}``."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        return {"found": [], "error": f"invalid JSON: {exc.msg}"}
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return {"found": [], "error": 'expected an object with a string "text"'}
    found = []
    for waybill in find_waybills(record["text"], default_registry(), learned=learned):
        candidates = [
            {"carrier": c.carrier, "confidence": c.confidence} for c in waybill.candidates
        ]
        found.append(
            {"number": waybill.number, "carrier": waybill.carrier, "candidates": candidates}
        )
    return {"found": found}


def detect_stream(infile: TextIO, outfile: TextIO, learned: Learned | None = None) -> int:
    """Process every line of ``infile`` in order; returns the number of lines written.

    Blank lines are answered too (with an error) so output line N always belongs to input
    line N. ``learned``: the learned carrier table, when the bot's database has one. A message
    that is one number alone counts as sent to the bot in a private chat.
    """
    count = 0
    for line in infile:
        result = detect_line(line.strip(), learned)
        outfile.write(json.dumps(result, ensure_ascii=False) + "\n")
        count += 1
    outfile.flush()
    return count
