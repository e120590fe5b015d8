"""The learned carrier table: counts per (prefix, length) on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.storage.patterns import PatternStore
from bot.waybills import find_waybills
from bot.waybills.learned import Learned, pattern_key

NUMBER = "JP0012345679"  # a J&T Indonesia shape; the rules name jtexpress


def test_pattern_keys():
    assert pattern_key("TBA123456789012") == ("TBA", 15)
    assert pattern_key("640123456789") == ("640", 12)
    assert pattern_key("NLIDAP12345678") == ("NLID", 14)


def test_counts_accumulate_and_are_shared(database, clock):
    first, second = PatternStore(database, clock), PatternStore(database, clock, refresh=0)
    for _ in range(3):
        first.record(NUMBER, "jtexpresssg")
    second.record("JP9876543210", "jtexpress")
    assert first.load().counts == {("JP", 12): {"jtexpresssg": 3, "jtexpress": 1}}
    assert second.snapshot().leader(NUMBER) == ("jtexpresssg", 0.75)


def test_snapshot_is_cached_until_refresh(database, clock):
    reader, writer = PatternStore(database, clock, refresh=3600), PatternStore(database, clock)
    assert reader.snapshot().counts == {}
    writer.record(NUMBER, "jtexpresssg")
    assert reader.snapshot().counts == {}  # another process's answer waits for the refresh
    reader.record(NUMBER, "jtexpresssg")  # its own answer is seen at once
    assert reader.snapshot().counts == {("JP", 12): {"jtexpresssg": 2}}


def test_learned_counts_change_the_ranking(database, clock):
    store = PatternStore(database, clock)
    before = find_waybills(NUMBER, learned=store.snapshot())[0]
    assert before.carrier == "jtexpress"
    for _ in range(3):
        store.record(NUMBER, "jtexpresssg")
    after = find_waybills("JP5813572461 到哪了", learned=store.snapshot())[0]
    assert after.carrier == "jtexpresssg" and after.decided == "jtexpresssg"
    assert "jtexpress" in [c.carrier for c in after.candidates]


def test_a_pattern_without_a_clear_leader_changes_nothing():
    split = Learned({("JP", 12): {"jtexpresssg": 2, "jtexpress": 2}})
    assert split.leader(NUMBER) is None
    too_few = Learned({("JP", 12): {"jtexpresssg": 2}})
    assert too_few.leader(NUMBER) is None
    assert find_waybills(NUMBER, learned=split)[0].carrier == "jtexpress"


def test_a_number_asked_again_is_counted_once(database, clock):
    store = PatternStore(database, clock)
    for _ in range(3):  # cache hits and coalesced lookups of one parcel
        store.learn(NUMBER, "jtexpresssg")
    store.learn("JP9876543210", "jtexpresssg")
    assert store.load().counts == {("JP", 12): {"jtexpresssg": 2}}
    assert store.snapshot().leader(NUMBER) is None  # two parcels are not yet a pattern
