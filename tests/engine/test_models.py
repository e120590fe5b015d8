"""Replies survive the outbox: serialised to JSON and back, including rows of older versions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from bot.models import Button, Reply, TrackingCard, TrackingEvent, reply_from_dict, reply_to_dict


def test_a_reply_round_trips_through_json():
    card = TrackingCard(
        number="YT1234567890123",
        carrier_code="yuantong",
        carrier_name="圆通",
        carrier_phone="95554",
        status=5,
        status_label="派件中",
        status_emoji="🛵",
        is_final=False,
        events=(TrackingEvent(datetime(2026, 3, 1, 8, tzinfo=UTC), "派送中"),),
    )
    reply = Reply(
        text="到了",
        card=card,
        buttons=(Button("刷新", "refresh:YT1234567890123"),),
        reply_to="m1",
        mentions=("alice", "bob"),
    )
    assert reply_from_dict(json.loads(json.dumps(reply_to_dict(reply)))) == reply


def test_rows_queued_before_mentions_became_a_list_keep_their_mention():
    assert reply_from_dict({"text": "x", "mention_user": "alice"}).mentions == ("alice",)
    assert reply_from_dict({"text": "x", "mention_user": None}).mentions == ()


def test_empty_mentions_are_dropped_and_a_single_one_is_readable_by_older_versions():
    assert reply_from_dict({"text": "x", "mentions": ["", "bob"]}).mentions == ("bob",)
    assert reply_to_dict(Reply(text="x", mentions=("alice",)))["mention_user"] == "alice"
    assert reply_to_dict(Reply(text="x", mentions=("a", "b")))["mention_user"] is None


def test_mention_names_and_the_pressed_button_survive_the_outbox():
    reply = Reply(text="x", mentions=("alice",), mention_names=(("alice", "Alice"),))
    reply = replace(reply, callback_id="cb1")
    assert reply_from_dict(json.loads(json.dumps(reply_to_dict(reply)))) == reply


def test_rows_of_the_previous_version_are_read_and_it_can_read_ours():
    """A rolling upgrade: the previous version kept names and the button press in `meta`."""
    old = {"text": "x", "mentions": ["alice"], "meta": {"name:alice": "Alice", "callback_id": "c"}}
    read = reply_from_dict(old)
    assert read.mention_names == (("alice", "Alice"),) and read.callback_id == "c"
    assert reply_to_dict(read)["meta"] == old["meta"]
