"""The credentials generator and the `python -m bot channels …` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import yaml

from bot.__main__ import main
from bot.channels.credentials import TELEGRAM_CHANNEL, ZALO_CHANNEL, build_credentials
from bot.db import default_engine
from bot.settings import SettingsError, get_settings, load_settings
from tests.channels.fakes import FakeTelegram, FakeZalo

_CHANNEL_ENV = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_BASE_URL",
    "ZALO_APP_ID",
    "ZALO_APP_SECRET",
    "ZALO_OA_SECRET_KEY",
    "ZALO_ACCESS_TOKEN",
    "ZALO_REFRESH_TOKEN",
    "ZALO_API_BASE_URL",
    "ZALO_OAUTH_BASE_URL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in _CHANNEL_ENV:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    default_engine.cache_clear()
    yield
    get_settings.cache_clear()
    default_engine.cache_clear()


def test_rest_only_when_nothing_is_configured() -> None:
    assert build_credentials(load_settings(), {"rest": None, "socketio": {"user_message_evt": "u"}}) == {
        "rest": None,
        "socketio": {"user_message_evt": "u"},
    }


def test_configured_channels_are_added_and_stale_ones_dropped() -> None:
    settings = load_settings(
        telegram_bot_token="123:abc",
        zalo_app_id="1",
        zalo_app_secret="s",
        zalo_oa_secret_key="k",
        zalo_refresh_token="r",
    )
    assert list(build_credentials(settings, {ZALO_CHANNEL: None})) == ["rest", TELEGRAM_CHANNEL, ZALO_CHANNEL]
    assert list(build_credentials(load_settings(), {ZALO_CHANNEL: None})) == ["rest"]


def test_half_configured_zalo_names_what_is_missing() -> None:
    with pytest.raises(SettingsError, match="ZALO_APP_SECRET, ZALO_OA_SECRET_KEY, ZALO_REFRESH_TOKEN"):
        build_credentials(load_settings(zalo_app_id="1"))


def test_cli_writes_a_credentials_file_rasa_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "credentials.yml"
    base.write_text("rest:\nbot.console.channel.ConsoleInput:\n", encoding="utf-8")
    out = tmp_path / "var" / "credentials.yml"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert main(["channels", "credentials", "--base", str(base), "--out", str(out)]) == 0
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written == {"rest": None, "bot.console.channel.ConsoleInput": None, TELEGRAM_CHANNEL: None}
    assert "bot.channels.telegram.TelegramInput" in capsys.readouterr().out
    monkeypatch.setenv("ZALO_APP_ID", "1")
    get_settings.cache_clear()
    assert main(["channels", "credentials", "--base", str(base), "--out", str(out)]) == 2
    assert "ZALO_APP_SECRET" in capsys.readouterr().err


def test_set_webhook_sends_the_secret_token(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake_telegram.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake_telegram.base_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://assistant.example/webhooks/telegram/webhook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "a-long-random-secret_123")
    assert main(["channels", "telegram", "set-webhook"]) == 0
    (call,) = fake_telegram.methods("setWebhook")
    assert call["url"] == "https://assistant.example/webhooks/telegram/webhook"
    assert call["secret_token"] == "a-long-random-secret_123"
    assert set(call["allowed_updates"]) == {"message", "callback_query", "my_chat_member"}
    assert main(["channels", "telegram", "delete-webhook"]) == 0
    assert fake_telegram.methods("deleteWebhook")


def test_zalo_refresh_command_stores_the_new_pair(
    fake_zalo: FakeZalo, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fake_zalo.url  # type: ignore[attr-defined]
    for name, value in {
        "DATABASE_URL": db_url,
        "ZALO_APP_ID": fake_zalo.app_id,
        "ZALO_APP_SECRET": fake_zalo.app_secret,
        "ZALO_OA_SECRET_KEY": "oa",
        "ZALO_REFRESH_TOKEN": "refresh-0",
        "ZALO_API_BASE_URL": url,
        "ZALO_OAUTH_BASE_URL": url,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["channels", "zalo", "refresh-token"]) == 0
    assert main(["channels", "zalo", "token-status"]) == 0
    output = capsys.readouterr().out
    assert "New access token stored" in output and "generation 1" in output
    assert fake_zalo.refresh_token == "refresh-1"


def test_rasa_loads_the_generated_channels_by_module_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uuid

    from rasa.core.channels.channel import register
    from rasa.core.run import create_http_input_channels
    from sanic import Sanic

    for name, value in {
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "ZALO_APP_ID": "1",
        "ZALO_APP_SECRET": "s",
        "ZALO_OA_SECRET_KEY": "k",
        "ZALO_REFRESH_TOKEN": "r",
    }.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "credentials.yml"
    assert main(["channels", "credentials", "--out", str(out)]) == 0
    channels = create_http_input_channels(None, str(out))
    assert {channel.name() for channel in channels} >= {"rest", "telegram", "zalo"}
    Sanic.test_mode = True
    app = Sanic(f"rasa_like_{uuid.uuid4().hex}", configure_logging=False)
    register(channels, app, route="/webhooks/")
    paths = {route.path for route in app.router.routes}
    assert {"webhooks/telegram/webhook", "webhooks/zalo/webhook", "webhooks/rest/webhook"} <= paths


async def test_output_channel_for_proactive_sends(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.channels.outputs import output_channel_for
    from bot.channels.telegram import TelegramOutput

    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        output_channel_for("telegram")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake_telegram.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake_telegram.base_url)  # type: ignore[attr-defined]
    get_settings.cache_clear()
    output = output_channel_for("telegram")
    assert isinstance(output, TelegramOutput)
    assert await output.send("777", "Hồ sơ của bạn đã được tiếp nhận.")
    await output.close()
    assert fake_telegram.methods("sendMessage")[0]["chat_id"] == 777
    with pytest.raises(ValueError):
        output_channel_for("fax")
