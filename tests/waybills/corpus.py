"""Paths of the shared reference data used by the waybill tests."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
DEV_CORPUS = SHARED_DATA / "messages-dev.jsonl"
JKEEN_DIR = SHARED_DATA / "jkeen-couriers"
