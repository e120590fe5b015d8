"""Paths of the reference data (copied into tests/data) used by the waybill tests."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = REPO_ROOT / "tests" / "data"
DEV_CORPUS = TEST_DATA / "messages-dev.jsonl"
JKEEN_DIR = TEST_DATA / "jkeen-couriers"
