"""Quality bars on the development corpus (tests/data/messages-dev.jsonl)."""

from __future__ import annotations

import pytest

from bot.waybills.evaluate import evaluate, load
from tests.waybills.corpus import DEV_CORPUS

pytestmark = pytest.mark.skipif(
    not DEV_CORPUS.exists(), reason=f"dev corpus not found at {DEV_CORPUS}"
)


@pytest.fixture(scope="module")
def score():
    return evaluate(load(DEV_CORPUS))


def test_number_precision_at_least_0_99(score):
    assert score.precision >= 0.99, score.false_positives


def test_number_recall_at_least_0_98(score):
    assert score.recall >= 0.98, score.misses


def test_carrier_top1_accuracy_at_least_0_97(score):
    assert score.carrier_accuracy >= 0.97, score.carrier_errors


def test_corpus_is_the_one_described():
    lines = load(DEV_CORPUS)
    assert len(lines) >= 250
    assert sum(1 for line in lines if not line["expected"]) >= 80
