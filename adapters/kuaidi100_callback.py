"""`POST /kuaidi100/callback/<secret>`: Kuaidi100's pushes of followed parcels.

Like every webhook: verify, record in the inbox, answer at once; the worker applies it
(`bot.subscriptions.callbacks`). Two checks, both in constant time: the path secret
(`KUAIDI100_CALLBACK_SECRET`, only we and Kuaidi100 know the callback URL) and the form's
`sign` = MD5(`param` + `KUAIDI100_SALT`), compared without regard to case. A request failing
either is answered 403 and leaves nothing behind. A verified push is recorded under a
delivery id made from a hash of its `param`, so a replay (or Kuaidi100's own retry of a push
we already took) is a duplicate: answered 200, no effect. Verified but unreadable data is
recorded as rejected (for the operator) and answered 200, since asking again cannot fix it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from flask import Blueprint, Response, abort, request

from bot.models import Incoming
from bot.runtime.ports import Inbox
from bot.settings import Settings, reveal
from bot.upstream.kuaidi100_protocol import CALLBACK_OK, parse_callback, sign_valid

log = logging.getLogger(__name__)

#: The inbox's platform name for Kuaidi100's pushes (the worker routes on it).
PLATFORM = "kuaidi100"


def callback_blueprint(inbox: Inbox, settings: Settings) -> Blueprint | None:
    """The route, or None when push is not configured (no secret or salt)."""
    secret = reveal(settings.kuaidi100_callback_secret) or ""
    salt = reveal(settings.kuaidi100_salt)
    if not secret or salt is None:
        return None
    blueprint = Blueprint("kuaidi100", __name__)

    @blueprint.post("/kuaidi100/callback/<path:given>")
    def callback(given: str):
        """Verify, record, answer Kuaidi100's documented success at once."""
        if not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
            abort(403)
        param = request.form.get("param", "")
        if not param or not sign_valid(param, request.form.get("sign", ""), salt):
            abort(403)
        delivery_id = "k100:" + hashlib.sha256(param.encode("utf-8")).hexdigest()[:40]
        try:
            push = parse_callback(param)
        except (ValueError, RecursionError) as error:
            inbox.reject(PLATFORM, delivery_id, "callback", str(error))
            return _ok()
        message = Incoming(
            platform=PLATFORM,
            chat_id=push.number[:64],  # one parcel's pushes are worked in order
            user_id=PLATFORM,
            message_id=delivery_id,
            text=param,
        )
        inbox.accept(delivery_id, message)
        return _ok()

    return blueprint


def _ok() -> Response:
    return Response(
        json.dumps(CALLBACK_OK, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
