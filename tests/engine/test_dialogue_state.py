"""The dialogue's state between two messages keeps the shape earlier versions stored."""

from __future__ import annotations

from bot.dialogue import Subscribe, TailQuestion


def test_a_question_with_a_subscribe_follow_up_survives_storage():
    question = TailQuestion((("SF1524097970481", "shunfeng"),), Subscribe("gift", "1234"))
    payload = question.to_payload()
    assert payload == {
        "numbers": [["SF1524097970481", "shunfeng"]],
        "then": {"action": "subscribe", "label": "gift", "tail": "1234"},
    }
    assert TailQuestion.from_payload(payload) == question


def test_a_question_stored_by_an_earlier_version_is_read():
    stored = {"numbers": [["SF1524097970481", None]], "then": None}
    assert TailQuestion.from_payload(stored) == TailQuestion((("SF1524097970481", None),))


def test_an_unknown_follow_up_is_dropped_not_run():
    stored = {"numbers": [["SF1", None]], "then": {"action": "launch"}}
    assert TailQuestion.from_payload(stored).follow_up is None
