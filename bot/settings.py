"""The project's one settings object: environment > ``.env`` > defaults.

Read it with :func:`get_settings` (cached, built on first use, never at import). Invalid values
raise :class:`SettingsError` naming the environment variable to fix.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

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

    # --- outreach (bot/outreach) ---

    # --- channels: zalo (bot/channels) ---

    # --- console (bot/console) ---

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
