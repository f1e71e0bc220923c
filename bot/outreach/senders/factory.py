"""Build the channel senders the settings configure (Telegram when a token is set, Zalo when its
app settings are set)."""

from __future__ import annotations

import logging

from bot.outreach.senders.base import Sender
from bot.outreach.senders.telegram import TelegramSender
from bot.outreach.senders.zalo import ZaloSender
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)


def build_senders(settings: Settings) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    timeout = settings.outreach_send_timeout_seconds
    if settings.telegram_bot_token is not None:
        senders["telegram"] = TelegramSender(
            settings.telegram_bot_token.get_secret_value(),
            settings.telegram_api_base_url,
            timeout,
            pool_size=max(8, settings.outreach_concurrency),
        )
    try:
        from bot.channels.zalo_api import ZaloClient

        senders["zalo"] = ZaloSender(ZaloClient.from_settings(settings))
    except SettingsError as exc:
        log.info("Zalo outreach disabled: %s", exc)
    if not senders:
        raise SettingsError(
            "no outreach channel is configured: set TELEGRAM_BOT_TOKEN and/or the ZALO_* settings"
        )
    return senders
