"""`python -m bot channels …`: credentials file, Telegram webhook, Zalo tokens."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    channels = subparsers.add_parser("channels", help="Telegram and Zalo channels")
    sub = channels.add_subparsers(dest="channels_command", required=True)

    credentials = sub.add_parser(
        "credentials", help="write the Rasa credentials file: rest + every configured channel"
    )
    credentials.add_argument("--out", type=Path, default=None, help="default: var/credentials.yml")
    credentials.add_argument("--base", type=Path, default=None, help="default: credentials.yml")
    credentials.set_defaults(func=_credentials)

    telegram = sub.add_parser("telegram", help="Telegram Bot API").add_subparsers(
        dest="telegram_command", required=True
    )
    telegram.add_parser(
        "set-webhook", help="register TELEGRAM_WEBHOOK_URL with TELEGRAM_WEBHOOK_SECRET as secret_token"
    ).set_defaults(func=_telegram_set_webhook)
    delete = telegram.add_parser("delete-webhook", help="remove the webhook (needed for long polling)")
    delete.add_argument("--drop-pending", action="store_true", help="also drop undelivered updates")
    delete.set_defaults(func=_telegram_delete_webhook)
    telegram.add_parser("webhook-info", help="what Telegram knows about the webhook").set_defaults(
        func=_telegram_webhook_info
    )

    zalo = sub.add_parser("zalo", help="Zalo Official Account").add_subparsers(
        dest="zalo_command", required=True
    )
    zalo.add_parser(
        "refresh-token", help="refresh the OA access token now (stores the new pair)"
    ).set_defaults(func=_zalo_refresh)
    zalo.add_parser("token-status", help="when the stored access token expires").set_defaults(
        func=_zalo_status
    )


def _credentials(args: argparse.Namespace) -> int:
    from bot.channels.credentials import BASE_FILE, DEFAULT_OUTPUT, write_credentials
    from bot.settings import SettingsError

    output = args.out or DEFAULT_OUTPUT
    try:
        credentials = write_credentials(output, base_file=args.base or BASE_FILE)
    except SettingsError as exc:
        print(f"Cannot write {output}: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {output}: channels " + ", ".join(credentials))
    return 0


def _telegram_set_webhook(args: argparse.Namespace) -> int:
    from bot.channels.config import TelegramConfig
    from bot.channels.telegram_bot import build_bot
    from bot.channels.telegram_polling import ALLOWED_UPDATES
    from bot.settings import SettingsError, get_settings

    try:
        config = TelegramConfig.from_settings(get_settings())
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not config.webhook_url or not config.webhook_secret:
        print("Set TELEGRAM_WEBHOOK_URL (https://…/webhooks/telegram/webhook) first.", file=sys.stderr)
        return 2

    async def run() -> bool:
        handle = build_bot(config.token, config.api_base_url, config.timeout_seconds)
        try:
            return await handle.bot.set_webhook(
                url=str(config.webhook_url),
                secret_token=config.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        finally:
            await handle.close()

    ok = asyncio.run(run())
    print("Webhook registered." if ok else "Telegram did not accept the webhook.")
    return 0 if ok else 1


def _telegram_delete_webhook(args: argparse.Namespace) -> int:
    from bot.channels.config import TelegramConfig
    from bot.channels.telegram_bot import build_bot
    from bot.settings import get_settings

    config = TelegramConfig.from_settings(get_settings())

    async def run() -> bool:
        handle = build_bot(config.token, config.api_base_url, config.timeout_seconds)
        try:
            return await handle.bot.delete_webhook(drop_pending_updates=args.drop_pending)
        finally:
            await handle.close()

    ok = asyncio.run(run())
    print("Webhook removed." if ok else "Telegram did not remove the webhook.")
    return 0 if ok else 1


def _telegram_webhook_info(args: argparse.Namespace) -> int:
    from bot.channels.config import TelegramConfig
    from bot.channels.telegram_bot import build_bot
    from bot.settings import get_settings

    config = TelegramConfig.from_settings(get_settings())

    async def run() -> None:
        handle = build_bot(config.token, config.api_base_url, config.timeout_seconds)
        try:
            info = await handle.bot.get_webhook_info()
        finally:
            await handle.close()
        print(f"url: {info.url or '(none: long polling)'}")
        print(f"pending updates: {info.pending_update_count}")
        if info.last_error_message:
            print(f"last error: {info.last_error_message}")

    asyncio.run(run())
    return 0


def _zalo_refresh(args: argparse.Namespace) -> int:
    from bot.channels.zalo_api import ZaloApiError, ZaloClient

    async def run() -> int:
        client = ZaloClient.from_settings()
        try:
            state = await client.refresh_access_token()
        except ZaloApiError as exc:
            print(f"Refresh failed: {exc}", file=sys.stderr)
            return 1
        finally:
            await client.aclose()
        print(f"New access token stored; it expires at {state.access_expires_at} UTC.")
        return 0

    return asyncio.run(run())


def _zalo_status(args: argparse.Namespace) -> int:
    from bot.channels.zalo_api import ZaloClient

    state = ZaloClient.from_settings().tokens.load()
    print(f"access token: {'present' if state.access_token else 'missing'}")
    print(f"expires at: {state.access_expires_at or 'unknown'} UTC")
    print(f"refresh token: {'present' if state.refresh_token else 'missing'}; generation {state.generation}")
    return 0
