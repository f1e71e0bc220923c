"""Build the dossier objects from settings (lazily: nothing here runs at import)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from bot.db import default_engine
from bot.dossiers.http_provider import HttpOneStopShopProvider
from bot.dossiers.lookup import DossierLookup
from bot.dossiers.notifications import RasaTriggerIntentNotifier
from bot.dossiers.providers import DossierProvider, LocalStoreProvider
from bot.dossiers.render import Contacts
from bot.dossiers.store import DossierStore
from bot.dossiers.verification import VerificationGuard
from bot.settings import Settings, SettingsError, get_settings


def contacts_from(settings: Settings) -> Contacts:
    return Contacts(portal_url=settings.national_portal_url, hotline=settings.hotline_number)


def build_http_provider(settings: Settings) -> HttpOneStopShopProvider:
    if not settings.dossier_api_base_url:
        raise SettingsError("DOSSIER_API_BASE_URL: required when DOSSIER_PROVIDER=http (or for polling)")
    auth = settings.dossier_api_auth_value
    try:
        return HttpOneStopShopProvider(
            settings.dossier_api_base_url,
            pepper=settings.dossier_phone_pepper.get_secret_value(),
            path=settings.dossier_api_path,
            auth_header=settings.dossier_api_auth_header,
            auth_value=auth.get_secret_value() if auth else None,
            timeout=settings.dossier_api_timeout_seconds,
            retries=settings.dossier_api_retries,
            backoff=settings.dossier_api_backoff_seconds,
            field_map=settings.dossier_api_field_map,
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def build_provider(settings: Settings, store: DossierStore) -> DossierProvider:
    if settings.dossier_provider == "http":
        return build_http_provider(settings)
    return LocalStoreProvider(store)


def build_notifier(settings: Settings) -> RasaTriggerIntentNotifier:
    token = settings.rasa_api_token
    return RasaTriggerIntentNotifier(
        settings.rasa_url,
        token=token.get_secret_value() if token else None,
        timeout=settings.dossier_notify_timeout_seconds,
    )


def build_guard(settings: Settings, engine: Engine) -> VerificationGuard:
    return VerificationGuard(
        engine,
        max_failures=settings.dossier_lockout_failures,
        window=dt.timedelta(minutes=settings.dossier_lockout_window_minutes),
        lock_for=dt.timedelta(minutes=settings.dossier_lockout_minutes),
    )


def build_lookup(settings: Settings | None = None, engine: Engine | None = None) -> DossierLookup:
    """The lookup the Rasa actions call; build it once (e.g. lazily on the first action)."""
    settings = settings or get_settings()
    engine = engine or default_engine()
    store = DossierStore(engine)
    return DossierLookup(
        build_provider(settings, store),
        store,
        build_guard(settings, engine),
        contacts=contacts_from(settings),
    )
