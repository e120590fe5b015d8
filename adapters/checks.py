"""Start-up checks: is each configured part usable? One clear line per part that is not.

`kuaidi-bot check` runs them all and exits non-zero when any fails; `run`, `console` and
`worker` run the upstream check and refuse to start on a refused AppCode, with the same line.
Each line names the part, the setting to look at and the reason — never a traceback, never a
secret (database passwords are hidden, platform errors carry no tokens).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.engine import make_url

from bot.settings import Settings, reveal
from bot.storage import open_database
from bot.upstream import (
    ConfigurationError,
    QuotaExhausted,
    UpstreamError,
    UpstreamUnavailable,
    build_provider,
)

log = logging.getLogger(__name__)

#: A number no carrier uses: the API refuses it with its unbilled HTTP 666, so the probe is free.
PROBE_NUMBER = "0"


def check_database(settings: Settings) -> str | None:
    """Open the database (creating the schema, as `run` does); the problem, or None."""
    shown = make_url(settings.db_url).render_as_string(hide_password=True)
    try:
        db = open_database(settings.db_url)
    except Exception as error:  # noqa: BLE001 - any failure here is the operator's to see
        return f"database unreachable: {shown} ({_first_line(error)}); check DATABASE_URL"
    try:
        if not db.ping():
            return f"database unreachable: {shown} (ping failed); check DATABASE_URL"
    finally:
        db.dispose()
    return None


def check_upstream(settings: Settings) -> str | None:
    """Probe the tracking API once, without retries; the problem, or None (demo: None)."""
    error = _probe(settings)
    if isinstance(error, ConfigurationError):
        return _refused(error)
    if isinstance(error, UpstreamUnavailable):
        return (
            f"upstream unreachable: {settings.kuaidi_api_base} ({error}); "
            "check KUAIDI_API_BASE and the network"
        )
    if isinstance(error, QuotaExhausted):
        return f"upstream quota exhausted: {error}; renew the plan in the Aliyun console"
    return None  # no error, or the API answered about the number itself: all is well


def start_refusal(settings: Settings) -> str | None:
    """The line `run`, `console` and `worker` refuse to start with: a refused AppCode or
    path. An unreachable upstream is no reason to refuse (it may come back; the bot answers
    kindly meanwhile)."""
    error = _probe(settings)
    return _refused(error) if isinstance(error, ConfigurationError) else None


def _probe(settings: Settings) -> UpstreamError | None:
    """Each configured provider on its own (fail-over would hide a refused one): the first
    error that says something about the provider, or None."""
    if settings.demo:
        return None
    for name in settings.configured_providers:
        alone = settings.model_copy(update={"kuaidi_retries": 0, "kuaidi_providers": name})
        provider = build_provider(alone)
        # Kuaidi100 needs a carrier code to be asked at all.
        carrier = "yuantong" if name == "kuaidi100" else None
        try:
            provider.track(PROBE_NUMBER, carrier, fresh=True)
        except UpstreamError as error:
            if isinstance(error, ConfigurationError | UpstreamUnavailable | QuotaExhausted):
                return error
    return None


def _refused(error: UpstreamError) -> str:
    return (
        f"upstream refused the AppCode or path: {error}; "
        "check KUAIDI_APPCODE (Aliyun) or KUAIDI100_KEY / KUAIDI100_CUSTOMER"
    )


def check_platforms(settings: Settings) -> list[str]:
    """Ask each configured platform's API to accept our credentials; the problems."""
    checks: list[tuple[str, Callable[[Settings], None]]] = []
    if settings.telegram_enabled:
        checks.append(("Telegram refused TELEGRAM_BOT_TOKEN", _telegram))
    if settings.wecom_corp_id and settings.wecom_secret is not None:
        checks.append(("WeCom refused WECOM_CORP_ID / WECOM_SECRET", _wecom))
    if settings.feishu_enabled:
        checks.append(("Feishu refused FEISHU_APP_ID / FEISHU_APP_SECRET", _feishu))
    problems = []
    for label, probe in checks:
        try:
            probe(settings)
        except Exception as error:  # noqa: BLE001 - each SDK raises its own kinds
            problems.append(f"{label}: {_first_line(error)}")
    return problems


def run_checks(settings: Settings) -> list[str]:
    """Every check, in order: database, upstream, platforms."""
    problems = [check_database(settings), check_upstream(settings)]
    return [p for p in problems if p] + check_platforms(settings)


def _telegram(settings: Settings) -> None:
    from adapters.telegram.bridge import BotBridge

    bridge = BotBridge(settings)
    try:
        bridge.identity(timeout=settings.kuaidi_timeout)
    finally:
        bridge.close()


def _wecom(settings: Settings) -> None:
    import httpx

    from adapters.wecom.client import WeComApi

    with httpx.Client(timeout=settings.kuaidi_timeout) as http:
        secret = reveal(settings.wecom_secret) or ""
        corp_id = str(settings.wecom_corp_id)
        WeComApi(http, settings.wecom_api_base, corp_id, secret, _NoTokens()).verify_credentials()


def _feishu(settings: Settings) -> None:
    from adapters.feishu.client import FeishuApi

    api = FeishuApi(
        str(settings.feishu_app_id),
        reveal(settings.feishu_app_secret) or "",
        _NoTokens(),
        settings.feishu_api_base,
        timeout=settings.kuaidi_timeout,
    )
    try:
        api.verify_credentials()
    finally:
        api.close()


class _NoTokens:
    """A token cache that never caches: a check must ask the platform itself."""

    def get(self, name: str, fetch: Callable[[], tuple[str, float]]) -> str:
        """Fetch every time."""
        return fetch()[0]

    def invalidate(self, name: str, bad_token: str) -> None:
        """Nothing cached, nothing to drop."""


def _first_line(error: BaseException) -> str:
    """The error's first line (driver errors run to many lines), or its type's name."""
    text = str(error).strip().splitlines()
    return (text[0][:300] if text else "") or type(error).__name__
