"""Channel configuration read from settings, with errors that name the variable to fix.

Light on purpose (no Rasa, no python-telegram-bot import): the credentials generator uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

from bot.settings import Settings, SettingsError

# Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a webhook secret_token.
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def telegram_configured(settings: Settings) -> bool:
    token = settings.telegram_bot_token
    return bool(token and token.get_secret_value().strip())


def zalo_configured(settings: Settings) -> bool:
    """Any Zalo setting given means the operator wants the channel (then all are required)."""
    return any(
        (
            settings.zalo_app_id,
            settings.zalo_app_secret,
            settings.zalo_oa_secret_key,
            settings.zalo_access_token,
            settings.zalo_refresh_token,
        )
    )


def zalo_missing_settings(settings: Settings) -> List[str]:
    missing = [
        name
        for name, value in (
            ("ZALO_APP_ID", settings.zalo_app_id),
            ("ZALO_APP_SECRET", settings.zalo_app_secret),
            ("ZALO_OA_SECRET_KEY", settings.zalo_oa_secret_key),
        )
        if not value
    ]
    if not settings.zalo_access_token and not settings.zalo_refresh_token:
        missing.append("ZALO_REFRESH_TOKEN (or ZALO_ACCESS_TOKEN)")
    return missing


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    api_base_url: str = "https://api.telegram.org/bot"
    webhook_url: Optional[str] = None
    webhook_secret: Optional[str] = None
    timeout_seconds: float = 10.0

    @property
    def polling(self) -> bool:
        return not self.webhook_url

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramConfig:
        """The configuration, or :class:`SettingsError` naming the variable to fix."""
        token = settings.telegram_bot_token.get_secret_value().strip() if settings.telegram_bot_token else ""
        if not token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: the Telegram channel needs the token @BotFather gave "
                "you (or remove the channel from the credentials file)."
            )
        secret = (
            settings.telegram_webhook_secret.get_secret_value().strip()
            if settings.telegram_webhook_secret
            else ""
        )
        if secret and not _SECRET_RE.match(secret):
            raise SettingsError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters from A-Z, a-z, 0-9, _ and - "
                "(Telegram's rule for secret_token)."
            )
        if settings.telegram_webhook_url and not secret:
            raise SettingsError(
                "TELEGRAM_WEBHOOK_SECRET is not set but TELEGRAM_WEBHOOK_URL is: every webhook call "
                "must carry a secret. Set a long random TELEGRAM_WEBHOOK_SECRET."
            )
        return cls(
            token=token,
            api_base_url=settings.telegram_api_base_url,
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=secret or None,
            timeout_seconds=settings.channels_http_timeout_seconds,
        )


@dataclass(frozen=True)
class ZaloConfig:
    app_id: str
    oa_secret_key: str

    @classmethod
    def from_settings(cls, settings: Settings) -> ZaloConfig:
        missing = zalo_missing_settings(settings)
        if missing:
            raise SettingsError("The Zalo channel needs " + ", ".join(missing))
        assert settings.zalo_app_id and settings.zalo_oa_secret_key
        return cls(settings.zalo_app_id, settings.zalo_oa_secret_key.get_secret_value())
