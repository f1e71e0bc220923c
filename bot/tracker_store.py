"""SQL tracker store configured from settings, so that conversations survive a restart."""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from bot.settings import VAR_DIR, get_settings


def tracker_store_url() -> str:
    """DATABASE_URL when set, else an SQLite file under var/."""
    settings = get_settings()
    return settings.database_url or f"sqlite:///{VAR_DIR / 'trackers.db'}"


class SettingsTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore on the database named by settings (``endpoints.yml`` type)."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        url = host or tracker_store_url()
        if url.startswith("sqlite:///"):
            VAR_DIR.mkdir(parents=True, exist_ok=True)
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
