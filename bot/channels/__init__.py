"""Messaging channels as Rasa custom input/output channels: Telegram and Zalo Official Account.

Register them in a credentials file by module path (``bot.channels.telegram.TelegramInput``,
``bot.channels.zalo.ZaloInput``); ``python -m bot channels credentials`` writes one with every
channel whose settings are configured. Nothing here touches the network or the database at import.
"""
