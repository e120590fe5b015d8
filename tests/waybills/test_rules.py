"""The rule table stays declarative and consistent with the carrier registry."""

from __future__ import annotations

import re

from bot.carriers import default_registry
from bot.waybills import rules


def test_every_rule_carrier_is_a_registry_code():
    registry = default_registry()
    for rule in rules.RULES:
        if rule.carrier is not None:
            assert registry.get(rule.carrier) is not None, rule
            assert registry.get(rule.carrier).code == rule.carrier


def test_rules_are_valid_patterns_with_bounded_priors():
    for rule in rules.RULES:
        re.compile(rule.pattern)
        assert 0 < rule.prior < 1
        assert rule.fail_prior is None or rule.check is not None


def test_adding_a_carrier_is_one_entry():
    extra = (*rules.RULES, rules.Rule("kuayue", r"KY\d{13}", 0.9))
    index = rules._index(extra)
    sample = "KY4000123456789"
    hits = [c.rule.carrier for c in index[len(sample)] if c.regex.fullmatch(sample)]
    assert hits == ["kuayue"]


def test_match_ranks_by_prior_and_applies_checks():
    assert rules.match("SF1385628716739")[0] == ("shunfeng", 0.97)
    assert rules.match("SF1385628716738")[0] == ("shunfeng", 0.6)  # typo keeps a lower prior
    assert rules.match("1006739505921") == ()  # wrong China Post check digit (11th)
