"""The project's one settings object: environment > ``.env`` > defaults.

Read it with :func:`get_settings` (cached, built on first use, never at import). Invalid values
raise :class:`SettingsError` naming the environment variable to fix.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Literal

from pydantic import BaseSettings, Field, SecretStr, ValidationError, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"

# Values people paste from examples and forget to change.
_PLACEHOLDERS = {"changeme", "change-me", "xxx", "todo", "your-token", "your_token", "secret", "<token>"}


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names the environment variable."""


class Settings(BaseSettings):
    # Storage: one SQL database for trackers, dossiers and outreach. SQLite under var/ by default.
    database_url: str | None = Field(None, env="DATABASE_URL")
    # Knowledge index: embedded by default; Elasticsearch when a URL is given.
    elasticsearch_url: str | None = Field(None, env="ELASTICSEARCH_URL")
    elasticsearch_index: str = Field("tro-ly-dvc-knowledge", env="ELASTICSEARCH_INDEX")
    # Lock store for several Rasa workers (Redis); in-memory when unset.
    redis_url: str | None = Field(None, env="REDIS_URL")

    rasa_port: int = Field(5005, env="RASA_PORT", ge=1, le=65535)
    action_port: int = Field(5055, env="ACTION_PORT", ge=1, le=65535)
    log_level: str = Field("INFO", env="LOG_LEVEL")

    # What the assistant tells citizens.
    national_portal_url: str = Field("https://dichvucong.gov.vn/", env="NATIONAL_PORTAL_URL")
    hotline_number: str = Field("18001096", env="HOTLINE_NUMBER")
    # Opening hours of the hotline, in Vietnamese; empty means the answer does not state hours.
    hotline_hours: str = Field("", env="HOTLINE_HOURS")

    # Channels (issue: channels). Each channel is enabled when its token is set.
    telegram_bot_token: SecretStr | None = Field(None, env="TELEGRAM_BOT_TOKEN")
    telegram_webhook_url: str | None = Field(None, env="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: SecretStr | None = Field(None, env="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base_url: str = Field("https://api.telegram.org/bot", env="TELEGRAM_API_BASE_URL")

    # --- dossiers (bot/dossiers) ---
    # Where dossier lookups go: the local SQL store (filled by `python -m bot dossiers import`) or a
    # provincial one-stop-shop HTTP API.
    dossier_provider: Literal["local", "http"] = Field("local", env="DOSSIER_PROVIDER")
    # Pepper for the stored phone hash (HMAC-SHA256 keyed by it, salted by the dossier code). The
    # default is for development only: set a long random value in production. Changing it only
    # changes stored hashes; verification uses the last 4 digits.
    dossier_phone_pepper: SecretStr = Field(
        SecretStr("dev-only-dossier-phone-pepper"), env="DOSSIER_PHONE_PEPPER"
    )
    dossier_lockout_failures: int = Field(5, env="DOSSIER_LOCKOUT_FAILURES", ge=1)
    dossier_lockout_window_minutes: int = Field(60, env="DOSSIER_LOCKOUT_WINDOW_MINUTES", ge=1)
    dossier_lockout_minutes: int = Field(60, env="DOSSIER_LOCKOUT_MINUTES", ge=1)
    # HTTP provider: GET {base}{path with {code}}; auth header sent when a value is set.
    dossier_api_base_url: str | None = Field(None, env="DOSSIER_API_BASE_URL")
    dossier_api_path: str = Field("/dossiers/{code}", env="DOSSIER_API_PATH")
    dossier_api_auth_header: str = Field("Authorization", env="DOSSIER_API_AUTH_HEADER")
    dossier_api_auth_value: SecretStr | None = Field(None, env="DOSSIER_API_AUTH_VALUE")
    dossier_api_timeout_seconds: float = Field(5.0, env="DOSSIER_API_TIMEOUT_SECONDS", gt=0)
    dossier_api_retries: int = Field(2, env="DOSSIER_API_RETRIES", ge=0, le=10)
    dossier_api_backoff_seconds: float = Field(0.5, env="DOSSIER_API_BACKOFF_SECONDS", ge=0)
    # Export column name → the API's JSON key (dotted for nested objects), as JSON; merged over the
    # identity map (bot/dossiers/http_provider.py), e.g. {"trang_thai": "data.TrangThai"}.
    dossier_api_field_map: Dict[str, str] = Field(default_factory=dict, env="DOSSIER_API_FIELD_MAP")
    # Status-change notifications go through Rasa's HTTP API (trigger_intent).
    rasa_url: str = Field("http://localhost:5005", env="RASA_URL")
    rasa_api_token: SecretStr | None = Field(None, env="RASA_API_TOKEN")
    dossier_notify_timeout_seconds: float = Field(5.0, env="DOSSIER_NOTIFY_TIMEOUT_SECONDS", gt=0)

    @validator("dossier_phone_pepper", "dossier_api_auth_value", "rasa_api_token")
    def _dossier_secret_not_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("is still a placeholder value; set the real secret")
        return value

    @validator("dossier_api_base_url", "rasa_api_token", "dossier_api_auth_value", pre=True)
    def _dossier_empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    # --- outreach (bot/outreach) ---
    # Global kill switch: when true the worker sends nothing (the console also has a DB flag).
    outreach_kill_switch: bool = Field(False, env="OUTREACH_KILL_SWITCH")
    outreach_timezone: str = Field("Asia/Ho_Chi_Minh", env="OUTREACH_TIMEZONE")
    # Quiet hours "HH:MM" local time: no campaign or reminder is sent from start to end.
    outreach_quiet_start: str = Field("21:00", env="OUTREACH_QUIET_START", regex=r"^\d{2}:\d{2}$")
    outreach_quiet_end: str = Field("07:00", env="OUTREACH_QUIET_END", regex=r"^\d{2}:\d{2}$")
    # Frequency cap: at most this many campaign messages per subscriber per window (reminders exempt).
    outreach_frequency_cap: int = Field(2, env="OUTREACH_FREQUENCY_CAP", ge=0)
    outreach_frequency_window_days: int = Field(7, env="OUTREACH_FREQUENCY_WINDOW_DAYS", ge=1)
    # Telegram limits (messages/s overall and per chat); Zalo overall limit.
    outreach_telegram_rate: float = Field(30.0, env="OUTREACH_TELEGRAM_RATE", gt=0)
    outreach_telegram_per_chat_rate: float = Field(1.0, env="OUTREACH_TELEGRAM_PER_CHAT_RATE", gt=0)
    outreach_zalo_rate: float = Field(10.0, env="OUTREACH_ZALO_RATE", gt=0)
    outreach_zalo_per_chat_rate: float = Field(1.0, env="OUTREACH_ZALO_PER_CHAT_RATE", gt=0)
    # Worker: rows claimed per batch, sends in flight, lease on claimed rows, retries.
    outreach_batch_size: int = Field(200, env="OUTREACH_BATCH_SIZE", ge=1, le=10000)
    outreach_concurrency: int = Field(64, env="OUTREACH_CONCURRENCY", ge=1, le=1024)
    outreach_lease_seconds: float = Field(120.0, env="OUTREACH_LEASE_SECONDS", gt=0)
    outreach_max_attempts: int = Field(5, env="OUTREACH_MAX_ATTEMPTS", ge=1)
    outreach_backoff_base_seconds: float = Field(2.0, env="OUTREACH_BACKOFF_BASE_SECONDS", gt=0)
    outreach_backoff_max_seconds: float = Field(600.0, env="OUTREACH_BACKOFF_MAX_SECONDS", gt=0)
    outreach_send_timeout_seconds: float = Field(10.0, env="OUTREACH_SEND_TIMEOUT_SECONDS", gt=0)

    # --- channels: zalo (bot/channels) ---
    # Zalo Official Account: enabled when ZALO_APP_ID is set (then the rest is required). The
    # tokens here only seed the database: refresh tokens are single-use, so after the first refresh
    # the current pair lives in the table zalo_oa_tokens (a new ZALO_REFRESH_TOKEN re-seeds it).
    zalo_app_id: str | None = Field(None, env="ZALO_APP_ID")
    zalo_app_secret: SecretStr | None = Field(None, env="ZALO_APP_SECRET")
    zalo_oa_secret_key: SecretStr | None = Field(None, env="ZALO_OA_SECRET_KEY")
    zalo_access_token: SecretStr | None = Field(None, env="ZALO_ACCESS_TOKEN")
    zalo_refresh_token: SecretStr | None = Field(None, env="ZALO_REFRESH_TOKEN")
    zalo_api_base_url: str = Field("https://openapi.zalo.me", env="ZALO_API_BASE_URL")
    zalo_oauth_base_url: str = Field("https://oauth.zaloapp.com", env="ZALO_OAUTH_BASE_URL")
    # Timeout of every call to the Telegram Bot API and the Zalo APIs (long polling adds its wait).
    channels_http_timeout_seconds: float = Field(10.0, env="CHANNELS_HTTP_TIMEOUT_SECONDS", gt=0, le=120)

    @validator("zalo_app_secret", "zalo_oa_secret_key", "zalo_access_token", "zalo_refresh_token")
    def _zalo_secret_not_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("is still a placeholder value; set the real secret")
        return value

    @validator(
        "zalo_app_id",
        "zalo_app_secret",
        "zalo_oa_secret_key",
        "zalo_access_token",
        "zalo_refresh_token",
        pre=True,
    )
    def _zalo_empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    # --- console (bot/console) ---
    # Staff sessions: absolute lifetime and idle timeout.
    console_session_hours: float = Field(12, env="CONSOLE_SESSION_HOURS", gt=0, le=24 * 7)
    console_idle_minutes: float = Field(120, env="CONSOLE_IDLE_MINUTES", gt=0)
    # Mark the session cookie Secure even when the request looks like plain http (TLS ends at a proxy).
    console_cookie_secure: bool = Field(False, env="CONSOLE_COOKIE_SECURE")
    # Login throttling: this many failures per user name or per IP within the window → 429.
    console_login_max_failures: int = Field(5, env="CONSOLE_LOGIN_MAX_FAILURES", ge=1)
    console_login_window_minutes: float = Field(15, env="CONSOLE_LOGIN_WINDOW_MINUTES", gt=0)
    console_min_password_length: int = Field(10, env="CONSOLE_MIN_PASSWORD_LENGTH", ge=8)

    # --- serving performance (bot/serving.py, bot/tracker_store.py) ---
    # SQLite tracker store (WAL): NORMAL syncs at checkpoints (a power cut may lose the last
    # messages, never corrupts); FULL syncs every commit (slower).
    tracker_sqlite_synchronous: Literal["NORMAL", "FULL"] = Field("NORMAL", env="TRACKER_SQLITE_SYNCHRONOUS")
    # Rasa server processes (Rasa reads SANIC_WORKERS itself); more than one needs REDIS_URL.
    sanic_workers: int = Field(1, env="SANIC_WORKERS", ge=1, le=64)

    class Config:
        env_file = str(PROJECT_ROOT / ".env")
        env_file_encoding = "utf-8"
        case_sensitive = False

    @validator("log_level")
    def _log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return upper

    @validator("telegram_bot_token", "telegram_webhook_secret")
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("is still a placeholder value; set the real secret")
        return value

    @validator("database_url", "elasticsearch_url", "redis_url", "telegram_webhook_url", pre=True)
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to an SQLite file under ``var/``."""
        return self.database_url or f"sqlite:///{VAR_DIR / 'tro_ly.db'}"


def _env_name(field_name: str) -> str:
    field = Settings.__fields__[field_name]
    return str(field.field_info.extra.get("env") or field_name.upper())


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation errors into one clear message per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0])
            env = _env_name(name) if name in Settings.__fields__ else name
            lines.append(f"{env}: {error['msg']}")
        raise SettingsError("Invalid settings — " + "; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def describe(settings: Settings) -> Dict[str, Any]:
    """Settings safe to print: secrets masked."""
    shown: Dict[str, Any] = {}
    for name, value in settings.dict().items():
        if isinstance(value, SecretStr):
            shown[_env_name(name)] = "***" if value.get_secret_value() else ""
        else:
            shown[_env_name(name)] = value
    return shown
