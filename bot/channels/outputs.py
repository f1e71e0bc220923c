"""Output channels for code outside a Rasa conversation (outreach worker, hotline console).

Each call builds a fresh output channel from settings; close it when done (``close()`` for
Telegram, ``client.aclose()`` for Zalo). Inside Rasa, use the input channel's
``get_output_channel()`` instead.
"""

from __future__ import annotations

from typing import Union

from sqlalchemy.engine import Engine

from bot.channels.telegram import TelegramOutput
from bot.channels.zalo import ZaloOutput


def output_channel_for(channel: str, *, engine: Engine | None = None) -> Union[TelegramOutput, ZaloOutput]:
    """The output channel named ``channel`` ("telegram" or "zalo"); SettingsError if unconfigured."""
    if channel == "telegram":
        return TelegramOutput.from_settings(engine=engine)
    if channel == "zalo":
        return ZaloOutput.from_settings(engine=engine)
    raise ValueError(f"unknown channel {channel!r}: expected 'telegram' or 'zalo'")
