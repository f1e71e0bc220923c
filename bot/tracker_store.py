"""SQL tracker store configured from settings, so that conversations survive a restart."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import Engine

from bot import serving
from bot.settings import VAR_DIR, get_settings


def tracker_store_url() -> str:
    """DATABASE_URL when set, else an SQLite file under var/."""
    settings = get_settings()
    return settings.database_url or f"sqlite:///{VAR_DIR / 'trackers.db'}"


def sqlite_pragmas(synchronous: str) -> list[str]:
    """PRAGMAs run on every new SQLite connection of the tracker store.

    WAL lets the action server and console read while Rasa writes, and with ``synchronous=NORMAL``
    a commit appends to the log without waiting for the disk (fsync at checkpoints only): a power
    cut may lose the last messages but never corrupts the database. ``FULL`` syncs every commit.
    """
    return ["PRAGMA journal_mode=WAL", f"PRAGMA synchronous={synchronous}", "PRAGMA busy_timeout=5000"]


class SettingsTrackerStore(SQLTrackerStore):
    """Rasa's SQLTrackerStore on the database named by settings (``endpoints.yml`` type).

    Also installs :mod:`bot.serving` (cached action-response validation) in the Rasa server.
    """

    engine: Engine

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        serving.install()
        url = host or tracker_store_url()
        if url.startswith("sqlite:///"):
            VAR_DIR.mkdir(parents=True, exist_ok=True)
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._use_pooled_sqlite_engine(get_settings().tracker_sqlite_synchronous)

    def _use_pooled_sqlite_engine(self, synchronous: str) -> None:
        """Keep SQLite connections open between messages, with WAL and the given sync level.

        SQLAlchemy 1.4 opens and closes a file database's connection for every session; closing the
        last connection checkpoints the WAL. A small pool (one connection per concurrent session;
        all of them used from the event loop's thread) avoids both.
        """
        pragmas = sqlite_pragmas(synchronous)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            pool_size=4,
            max_overflow=8,
            connect_args={"check_same_thread": False},
        )

        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for pragma in pragmas:
                cursor.execute(pragma)
            cursor.close()

        sa.event.listen(self.engine, "connect", _on_connect)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
