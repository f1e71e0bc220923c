"""SQL tracker store configured from settings, so that conversations survive a restart.

Rasa's :class:`SQLTrackerStore` goes through the ORM for every message: it loads full ORM rows to
rebuild a tracker, and before saving it counts the stored events of the session again to find the
new ones. :class:`SettingsTrackerStore` keeps Rasa's table, queries and semantics but reads only
the ``data`` column with SQLAlchemy Core, inserts new events in one ``executemany``, and remembers
how many events of a tracker it loaded or saved, so that saving that same tracker object skips
the count. A tracker it did not load (a copy, a full-history tracker, one with a bounded event
history) is saved the way Rasa does it. Rasa's lock store keeps one message per conversation at a
time (across workers with Redis), so nothing else appends to a conversation between the load and
the save of its tracker.
"""

from __future__ import annotations

import itertools
import json
import weakref
from typing import Any, Dict, Iterator, Optional, Tuple

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
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
        # id(tracker) -> (weak reference to it, number of its events stored in the database)
        self._stored: Dict[int, Tuple[weakref.ref, int]] = {}

    def _remember_stored(self, tracker: DialogueStateTracker, count: int) -> None:
        key = id(tracker)
        if key not in self._stored:
            weakref.finalize(tracker, self._stored.pop, key, None)
        self._stored[key] = (weakref.ref(tracker), count)

    def _known_stored(self, tracker: DialogueStateTracker) -> Optional[int]:
        entry = self._stored.get(id(tracker))
        if entry is None or entry[0]() is not tracker or tracker.events.maxlen is not None:
            return None
        return entry[1]

    def _session_events_query(self, sender_id: str) -> Any:
        """Rasa's query for the events of the latest session, selecting only their data."""
        table = self.SQLEvent.__table__
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender_id, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        return (
            sa.select(table.c.data)
            .where(
                table.c.sender_id == sender_id,
                sa.or_(table.c.timestamp >= session_start, session_start.is_(None)),
            )
            .order_by(table.c.id)
        )

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker of the latest conversation session (as Rasa's), remembering its size."""
        serving.freeze_loaded_objects()  # the first conversation is loaded after the model
        with self.engine.connect() as conn:
            rows = conn.execute(self._session_events_query(sender_id)).all()
        if not self.domain or not rows:
            return None
        events = [json.loads(row.data) for row in rows]
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        self._remember_stored(tracker, len(events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events in one statement (same rows as Rasa's)."""
        await self.stream_events(tracker)
        known = self._known_stored(tracker)
        with self.engine.begin() as conn:
            if known is None:
                stored = conn.execute(
                    sa.select(sa.func.count()).select_from(
                        self._session_events_query(tracker.sender_id).subquery()
                    )
                ).scalar_one()
                new_events: Iterator[Any] = itertools.islice(tracker.events, stored, None)
            else:
                new_events = itertools.islice(tracker.events, known, None)
            rows = [self._event_row(tracker.sender_id, event) for event in new_events]
            if rows:
                conn.execute(self.SQLEvent.__table__.insert(), rows)
        if tracker.events.maxlen is None:
            self._remember_stored(tracker, len(tracker.events))

    @staticmethod
    def _event_row(sender_id: str, event: Any) -> Dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

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
