"""Errors of the upstream tracking API, one class per thing a caller does differently.

Every error carries `sentence` (the key in `bot.texts` of what a user is told, filled with
`number` and `reason`), `user_message_key` (the short name of that answer), `kind` (the
metrics label), `retryable` (whether the client backs off and tries again) and `temporary`
(whether a later call may succeed, so a subscription asked for now is still made: the poller
fetches the state later). Messages are
built by the client from status codes, gateway headers and the vendor's `msg`, scrubbed of the
AppCode, so they are safe to log and to show an operator.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """Base of all upstream failures."""

    sentence: str = "err_unavailable"
    user_message_key: str = "unavailable"
    kind: str = "unavailable"
    retryable: bool = False
    temporary: bool = True

    def __init__(self, message: str = "", *, request_id: str | None = None) -> None:
        super().__init__(message or self.__class__.__name__)
        self.request_id = request_id

    @property
    def reason(self) -> str:
        """What went wrong, short enough for a chat message (safe: no secrets)."""
        return str(self)[:200]


class QuotaExhausted(UpstreamError):
    """The paid call package is used up or expired (403 `Quota Exhausted` and friends)."""

    sentence = "err_quota"
    user_message_key = "quota"
    kind = "quota"


class Throttled(UpstreamError):
    """Rate limited by the gateway (403 `Throttled by …` or 429), after retries."""

    sentence = "err_throttled"
    user_message_key = "throttled"
    kind = "throttled"
    retryable = True

    def __init__(
        self,
        message: str = "",
        *,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.retry_after = retry_after


class UpstreamUnavailable(UpstreamError):
    """Network failure, timeout or 5xx from the gateway or backend, after retries."""

    user_message_key = "unavailable"
    kind = "unavailable"
    retryable = True


class BadResponse(UpstreamUnavailable):
    """An answer that is not the JSON object the vendor documents, or too large to read. Not
    retried: a 200 is billed, so asking again would pay twice for the same broken answer."""

    sentence = "err_bad_answer"
    kind = "bad_response"
    retryable = False


class ConfigurationError(UpstreamError):
    """Wrong AppCode, base URL or path (400/401/403/404 from the gateway). Fail loudly."""

    sentence = "err_config"
    user_message_key = "config"
    kind = "config"
    temporary = False


class NotConfigured(UpstreamError):
    """The endpoint asked for has no path configured (identify / carrier list are optional)."""

    sentence = "err_config"
    user_message_key = "config"
    kind = "not_configured"
    temporary = False


class BusinessError(UpstreamError):
    """The vendor refused the query (HTTP 666, `ok` = 0); `msg` is its reason, in Chinese."""

    sentence = "err_business"
    user_message_key = "business"
    kind = "business"
    temporary = False

    def __init__(self, msg: str, *, request_id: str | None = None) -> None:
        super().__init__(f"upstream refused the query: {msg}", request_id=request_id)
        self.msg = msg

    @property
    def reason(self) -> str:
        """The vendor's own words."""
        return (self.msg or str(self))[:200]


class UnexplainedRefusal(BusinessError):
    """The vendor refused (HTTP 666 or `ok` not 1) without saying why: no `msg` to quote."""

    sentence = "err_refused"
    kind = "refused"
    temporary = True  # nothing says the number is wrong; a later call may well succeed


class PhoneRequired(BusinessError):
    """The carrier (typically SF Express) needs the last 4 digits of a phone number."""

    user_message_key = "phone_required"
    kind = "phone_required"


class InvalidNumber(BusinessError):
    """The vendor says the tracking number is wrong or malformed."""

    sentence = "invalid_number"
    user_message_key = "invalid_number"
    kind = "invalid_number"
