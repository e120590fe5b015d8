"""The one typed settings object, read from the environment and `.env`.

Every key is documented in `.env.example`. Secrets are `SecretStr` so that printing or
logging the settings never reveals them.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    # --- upstream tracking API -------------------------------------------------------------
    kuaidi_appcode: SecretStr | None = None
    kuaidi_api_base: str = "https://chawuliu.market.alicloudapi.com"
    kuaidi_track_path: str = "/query"
    kuaidi_identify_path: str | None = None
    kuaidi_carriers_path: str | None = None
    kuaidi_demo: bool = False
    kuaidi_timeout: float = Field(10.0, description="seconds per upstream request")
    kuaidi_retries: int = 2
    kuaidi_deadline: float = Field(15.0, description="seconds for one lookup, retries included")
    kuaidi_max_body_bytes: int = Field(1_000_000, description="largest upstream answer read")
    kuaidi_cache_ttl: int = Field(300, description="seconds a tracking answer is reused")
    kuaidi_rate_limit: float = Field(5.0, description="upstream requests per second, max")
    kuaidi_tail_timeout: int = Field(600, description="seconds a phone-tail question stays open")
    # Tracking sources in order of preference: "aliyun" (the API above), "kuaidi100".
    kuaidi_providers: str = "aliyun"
    # Seconds a provider that failed is skipped before it is tried again (doubling while it
    # keeps failing, up to 16 times this).
    kuaidi_failover_backoff: float = Field(60.0, gt=0)

    # --- Kuaidi100 (快递100), see docs/kuaidi100.md ------------------------------------------
    kuaidi100_key: SecretStr | None = None
    kuaidi100_customer: SecretStr | None = None
    kuaidi100_salt: SecretStr | None = None
    kuaidi100_callback_url: SecretStr | None = None  # holds the path secret
    kuaidi100_callback_secret: SecretStr | None = None
    kuaidi100_api_base: str = "https://poll.kuaidi100.com"

    # --- storage and shared state ----------------------------------------------------------
    data_dir: Path = Path("data")
    database_url: str | None = None
    redis_url: str | None = None

    # A picture's whole download from the chat platform (worker side) ends after this long.
    kuaidi_download_timeout: float = Field(20.0, gt=0, description="seconds per picture fetch")

    # --- web and worker --------------------------------------------------------------------
    # Behind a reverse proxy set 127.0.0.1, so slow clients cannot reach the app directly.
    host: str = "0.0.0.0"
    port: int = 8000
    # Handlers mostly wait on the upstream (hundreds of ms), so threads are cheap concurrency.
    worker_threads: int = 16
    # Sends in flight at once (to different chats; one chat's sends stay in order).
    sender_threads: int = 8
    # A row that failed (retrying with back-off, or about to be parked) holds back its chat's
    # later messages at most this long; after it they go ahead of it, still in order.
    chat_hold_seconds: float = Field(10.0, ge=0)
    max_request_bytes: int = 1_000_000
    request_read_timeout: float = Field(
        5.0, description="seconds a client has to send a whole request (408 after)"
    )
    webhook_max_skew: int = Field(300, description="seconds a signed timestamp may be off")
    log_level: str = "INFO"
    # Where log lines go; unset = stderr (the console chat: DATA_DIR/console.log).
    log_file: Path | None = None
    admin_users: str = Field("", description="comma-separated platform:user ids")

    # --- subscriptions ---------------------------------------------------------------------
    kuaidi_poller: bool = True
    # 15 minutes: the floor that lets out-for-delivery parcels be pushed within ~10 minutes
    # (bench/polling.py) while transit polls stay hours apart.
    kuaidi_poll_min_interval: int = 900
    kuaidi_daily_budget: int | None = None
    kuaidi_push_window: float = 5.0
    kuaidi_max_subscriptions: int = 50
    kuaidi_quiet_hours: str | None = Field(None, description='e.g. "23:00-07:30", China time')

    # --- photos and screenshots (bot/vision) -----------------------------------------------
    kuaidi_vision_max_bytes: int = Field(10_000_000, ge=1, description="largest image read")
    kuaidi_vision_max_pixels: int = Field(40_000_000, ge=1, description="decompression guard")
    # Image scans at once (each takes one core while it reads text); more wait in the queue,
    # past that a photo is retried later, so text messages never wait behind photos.
    kuaidi_vision_workers: int = Field(1, ge=1)
    kuaidi_vision_queue: int = Field(4, ge=0)

    # --- Telegram --------------------------------------------------------------------------
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_url: str | None = None
    telegram_api_base: str = "https://api.telegram.org"

    # --- WeCom -----------------------------------------------------------------------------
    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_encoding_aes_key: SecretStr | None = None
    wecom_aibot_token: SecretStr | None = None
    wecom_aibot_encoding_aes_key: SecretStr | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wecom_markdown: bool = True
    # Hours between two welcomes when a user opens the app (enter_agent); 0 = never. At most
    # 72: the inbox, which enforces it, keeps deliveries for 3 days.
    wecom_welcome_hours: int = Field(24, ge=0, le=72)
    # "chatid=robotkey,…": where pushes to an AI-bot group go (the AI bot cannot push).
    wecom_group_robots: SecretStr | None = None

    # --- Feishu ----------------------------------------------------------------------------
    feishu_app_id: str | None = None
    feishu_app_secret: SecretStr | None = None
    feishu_verification_token: SecretStr | None = None
    feishu_encrypt_key: SecretStr | None = None
    feishu_mode: str = "webhook"
    feishu_api_base: str = "https://open.feishu.cn"

    @property
    def provider_names(self) -> tuple[str, ...]:
        """`KUAIDI_PROVIDERS` as names in order, unknown and repeated ones dropped."""
        names: list[str] = []
        for name in self.kuaidi_providers.lower().replace(" ", "").split(","):
            if name in ("aliyun", "kuaidi100") and name not in names:
                names.append(name)
        return tuple(names) or ("aliyun",)

    @property
    def configured_providers(self) -> tuple[str, ...]:
        """The providers of `KUAIDI_PROVIDERS` whose credentials are set, in order."""
        have = {
            "aliyun": self.kuaidi_appcode is not None,
            "kuaidi100": bool(self.kuaidi100_key and self.kuaidi100_customer),
        }
        return tuple(name for name in self.provider_names if have[name])

    @property
    def kuaidi100_push(self) -> bool:
        """True when followed parcels are registered with Kuaidi100 for push callbacks."""
        return (
            "kuaidi100" in self.configured_providers
            and bool(reveal(self.kuaidi100_callback_url))
            and self.kuaidi100_callback_secret is not None
            and self.kuaidi100_salt is not None
        )

    @property
    def demo(self) -> bool:
        """True when tracking answers come from the demo provider, not a paid API."""
        return self.kuaidi_demo or not self.configured_providers

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL: `DATABASE_URL`, else a SQLite file in the data directory."""
        if self.database_url:
            return _normalise_db_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'kuaidi-bot.sqlite3').resolve()}"

    @property
    def telegram_enabled(self) -> bool:
        """A Telegram bot token is configured."""
        return self.telegram_bot_token is not None

    @property
    def wecom_enabled(self) -> bool:
        """The WeCom self-built app or the AI bot is configured."""
        app = self.wecom_corp_id and self.wecom_token and self.wecom_encoding_aes_key
        return bool(app or (self.wecom_aibot_token and self.wecom_aibot_encoding_aes_key))

    @property
    def feishu_enabled(self) -> bool:
        """A Feishu app is configured."""
        return bool(self.feishu_app_id and self.feishu_app_secret)

    @property
    def any_platform(self) -> bool:
        """At least one chat platform is configured."""
        return self.telegram_enabled or self.wecom_enabled or self.feishu_enabled


#: Names the env file when `--env-file` is not given (systemd units set it).
ENV_FILE_VARIABLE = "KUAIDI_ENV_FILE"


class EnvFileMissing(ValueError):
    """An env file was named (flag or KUAIDI_ENV_FILE) but does not exist."""


def env_file_path(explicit: str | os.PathLike | None = None) -> tuple[Path | None, bool]:
    """(the env file to read or None, whether it was named explicitly): `explicit` (the
    `--env-file` flag), else `$KUAIDI_ENV_FILE`, else `./.env` when it exists. A named file
    that does not exist raises `EnvFileMissing`: silently using defaults would start a demo
    bot with a fresh, empty data directory."""
    named = explicit or os.environ.get(ENV_FILE_VARIABLE)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise EnvFileMissing(f"env file not found: {path.resolve()}")
        return path, True
    default = Path(".env")
    return (default if default.is_file() else None), False


def load_settings(env_file: Path | None) -> Settings:
    """Settings from the environment and `env_file`. A relative DATA_DIR or LOG_FILE is taken
    relative to the env file's folder, so the bot finds its data wherever it is started."""
    settings = Settings(_env_file=env_file)
    base = env_file.resolve().parent if env_file is not None else Path.cwd()
    settings.data_dir = base / settings.data_dir
    if settings.log_file is not None:
        settings.log_file = base / settings.log_file
    return settings


def reveal(secret: SecretStr | None) -> str | None:
    """The value of an optional secret setting, for the code that must use it."""
    return secret.get_secret_value() if secret is not None else None


def _normalise_db_url(url: str) -> str:
    """Let operators write `postgresql://…` and still get the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
