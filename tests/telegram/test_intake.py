"""Long polling drives the same pipeline as the webhook; offsets; clean stop."""

from __future__ import annotations

import time

from flask import Flask

from adapters.telegram.inbound import SECRET_HEADER, WEBHOOK_PATH
from adapters.telegram.intake import LongPoller
from tests.fakes.platform import RecordingInbox
from tests.telegram.updates import callback_update, text_update


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def conversation(vector) -> list[dict]:
    return [
        vector["update"],
        text_update(100000002, "/start SF1524097970481", chat_id=555),
        text_update(100000003, "@my_test_bot YT2233445566", entities=None),
        text_update(100000004, "just chatting"),
        {"update_id": 100000005, "edited_message": text_update(5, "edited")["message"]},
        callback_update(100000006, "sub:SF1524097970481"),
    ]


def test_long_polling_yields_the_same_messages_as_the_webhook(adapter, fake_api, vector):
    updates = conversation(vector)
    via_webhook = RecordingInbox()
    app = Flask(__name__)
    app.register_blueprint(adapter.blueprint(via_webhook))
    client = app.test_client()
    for update in updates:
        response = client.post(
            WEBHOOK_PATH, json=update, headers={SECRET_HEADER: vector["secret_token"]}
        )
        assert response.status_code == 200

    via_polling = RecordingInbox()
    fake_api.queue_updates(*updates)
    adapter.start_intake(via_polling)

    assert wait_until(lambda: len(via_polling.accepted) == 6)
    assert wait_until(lambda: len(fake_api.of("getUpdates")) >= 2)
    assert via_polling.accepted == via_webhook.accepted
    assert [m.text for m in via_polling.messages][:3] == [
        "/sub 天气 <b>",
        "/track SF1524097970481",
        "YT2233445566",
    ]
    assert via_polling.messages[4].edited and via_polling.messages[4].text == "edited"
    assert via_polling.messages[5].action == "sub:SF1524097970481"
    offsets = [call.params.get("offset") for call in fake_api.of("getUpdates")]
    assert offsets[:2] == [None, "100000007"]  # everything up to the last id acknowledged
    assert fake_api.of("deleteWebhook")[0].params == {"drop_pending_updates": "false"}
    assert "message" in fake_api.of("getUpdates")[0].params["allowed_updates"]


def test_each_update_is_accepted_once_even_if_redelivered(adapter, fake_api, vector):
    inbox = RecordingInbox()
    fake_api.queue_updates(vector["update"])
    adapter.start_intake(inbox)
    assert wait_until(lambda: len(inbox.accepted) == 1)

    fake_api.queue_updates(vector["update"], text_update(100000009, "/list", chat_id=555))

    assert wait_until(lambda: len(inbox.accepted) == 2)
    assert inbox.calls == 2  # the re-sent update is below the offset: never handed over again
    assert [d for d, _ in inbox.accepted] == ["100000001", "100000009"]


def test_a_failing_inbox_does_not_lose_the_update(adapter, fake_api, vector):
    inbox = RecordingInbox(fail_times=1)
    poller = LongPoller(adapter.bridge, inbox, poll_timeout=1, error_backoff=0.05)
    fake_api.queue_updates(vector["update"], text_update(100000002, "/help", chat_id=555))
    poller.start()
    try:
        assert wait_until(lambda: len(inbox.accepted) == 2)
    finally:
        poller.stop()

    assert inbox.calls == 3  # first attempt raised; the update was fetched again
    assert [d for d, _ in inbox.accepted] == ["100000001", "100000002"]
    assert poller.offset == 100000003


def test_stop_interrupts_a_pending_long_poll(adapter, fake_api):
    poller = LongPoller(adapter.bridge, RecordingInbox(), poll_timeout=20)
    poller.start()
    assert wait_until(lambda: len(fake_api.of("getUpdates")) == 1)

    thread = poller._thread
    poller.stop(timeout=10)  # the long poll would hold the thread for 20 s if not cancelled

    assert poller._thread is None
    assert not thread.is_alive()


def test_webhook_mode_does_not_poll_but_registers_commands(settings, fake_api):
    from adapters.telegram import TelegramAdapter

    webhook_settings = settings.model_copy(
        update={"telegram_webhook_url": "https://bot.example.com/telegram/webhook"}
    )
    webhook_adapter = TelegramAdapter(webhook_settings)
    try:
        webhook_adapter.start_intake(RecordingInbox())
        assert len(fake_api.wait_for("setMyCommands", 3)) == 3
        time.sleep(0.2)
        assert fake_api.of("getUpdates") == [] and fake_api.of("deleteWebhook") == []
    finally:
        webhook_adapter.stop()
