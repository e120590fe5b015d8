"""Every class of waybill the issue lists, built from documented formats (tests/waybills/
generated.py), found bare and inside Chinese and English requests; look-alikes stay out."""

from __future__ import annotations

import pytest

from bot.waybills.evaluate import engine
from tests.waybills import generated as g

POSITIVES = g.positives()
NEGATIVES = g.negatives()
TALLIES = g.score(engine, POSITIVES + NEGATIVES)


@pytest.mark.parametrize("kind", [k.name for k in g.KINDS])
def test_every_class_is_found_in_requests(kind):
    samples = [s for s in POSITIVES if s.kind == kind and s.style != "bare"]
    missed = [s.text for s in g.misses(engine, samples)]
    # A number passing a bank card's Luhn check and BIN by chance is a card unless labelled.
    assert len(missed) <= len(samples) // 6, missed


@pytest.mark.parametrize("kind", [k.name for k in g.KINDS if k.alone])
def test_every_class_with_a_check_or_prefix_is_found_alone(kind):
    samples = [s for s in POSITIVES if s.kind == kind and s.style == "bare"]
    missed = [s.text for s in g.misses(engine, samples)]
    assert len(missed) <= len(samples) // 6, missed


@pytest.mark.parametrize("kind", [k.name for k in g.KINDS if k.carrier])
def test_the_carrier_a_format_names_is_among_the_candidates(kind):
    assert TALLIES[f"kind:{kind}"].carrier_rate == 1.0


@pytest.mark.parametrize("kind", sorted({name for name, _ in g.NEGATIVES}))
def test_look_alikes_are_not_reported(kind):
    samples = [s for s in NEGATIVES if s.kind == kind]
    assert g.misses(engine, samples) == []


def test_quality_bars_of_the_issue():
    assert min(TALLIES["zh"].rate, TALLIES["en"].rate) >= 0.95
    alone = {k.name for k in g.KINDS if k.alone}
    bare = [s for s in POSITIVES if s.style == "bare" and s.kind in alone]
    assert len(g.misses(engine, bare)) <= 0.05 * len(bare)
    assert TALLIES["bare"].rate >= 0.85  # with the digit-only classes that need a word
    assert TALLIES["negative"].rate <= 0.02
    assert TALLIES["all"].carrier_rate >= 0.95


def test_the_set_is_built_not_copied():
    """Seeded: the same numbers every run, each checked by our own makers."""
    assert [s.text for s in g.positives()] == [s.text for s in POSITIVES]
    assert len({s.number for s in POSITIVES}) >= 0.99 * len(POSITIVES) / 3
