import pytest

from bot.settings import SettingsError, describe, load_settings


def test_defaults_need_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "ELASTICSEARCH_URL", "REDIS_URL", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.sqlalchemy_url.startswith("sqlite:///")
    assert settings.sqlalchemy_url.endswith("var/tro_ly.db")
    assert settings.elasticsearch_url is None


def test_environment_wins_over_env_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("HOTLINE_NUMBER=111\nRASA_PORT=6000\n", encoding="utf-8")
    monkeypatch.setenv("HOTLINE_NUMBER", "222")
    settings = load_settings(_env_file=str(env_file))
    assert settings.hotline_number == "222"
    assert settings.rasa_port == 6000


def test_error_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_PORT", "not-a-port")
    with pytest.raises(SettingsError, match="RASA_PORT"):
        load_settings(_env_file=None)


def test_placeholder_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "changeme")
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings(_env_file=None)


def test_empty_url_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", " ")
    assert load_settings(_env_file=None).database_url is None


def test_describe_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:real-token-value")
    shown = describe(load_settings(_env_file=None))
    assert shown["TELEGRAM_BOT_TOKEN"] == "***"
    assert "real-token-value" not in str(shown)


def test_env_example_lists_every_setting() -> None:
    from pathlib import Path

    from bot.settings import PROJECT_ROOT, Settings

    text = Path(PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    listed = {line.lstrip("# ").split("=", 1)[0] for line in text.splitlines() if "=" in line}
    expected = {str(f.field_info.extra.get("env")) for f in Settings.__fields__.values()}
    assert expected <= listed, sorted(expected - listed)
