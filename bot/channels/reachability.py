"""Which chats can no longer be written to: a user blocked the Telegram bot or unfollowed the OA.

The output channels mark a chat when the platform refuses delivery for good (Telegram
``Forbidden``, Zalo "user not following / unreachable"); an incoming message from the chat clears
the mark. The outreach worker reads :func:`is_unreachable` before sending.

Synchronous on purpose (SQLAlchemy engine); from async code wrap calls in ``asyncio.to_thread``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.channels.storage import resolve_engine, utcnow
from bot.channels.tables import reachability

_MAX_REASON = 255


def mark_unreachable(channel: str, chat_id: str | int, reason: str, *, engine: Engine | None = None) -> None:
    """Record that ``chat_id`` on ``channel`` ("telegram", "zalo") cannot receive messages."""
    values = {"reason": (reason or "unreachable")[:_MAX_REASON], "marked_at": utcnow()}
    key = (reachability.c.channel == channel) & (reachability.c.chat_id == str(chat_id))
    db = resolve_engine(engine)
    with db.begin() as connection:
        updated = connection.execute(sa.update(reachability).where(key).values(**values)).rowcount
    if updated:
        return
    try:
        with db.begin() as connection:
            connection.execute(reachability.insert().values(channel=channel, chat_id=str(chat_id), **values))
    except IntegrityError:  # marked concurrently: keep the newest reason
        with db.begin() as connection:
            connection.execute(sa.update(reachability).where(key).values(**values))


def mark_reachable(channel: str, chat_id: str | int, *, engine: Engine | None = None) -> bool:
    """Clear the mark (the user wrote to us again); True when there was one."""
    with resolve_engine(engine).begin() as connection:
        result = connection.execute(
            sa.delete(reachability).where(
                (reachability.c.channel == channel) & (reachability.c.chat_id == str(chat_id))
            )
        )
    return bool(result.rowcount)


def unreachable_reason(channel: str, chat_id: str | int, *, engine: Engine | None = None) -> str | None:
    with resolve_engine(engine).connect() as connection:
        return connection.execute(
            sa.select(reachability.c.reason).where(
                (reachability.c.channel == channel) & (reachability.c.chat_id == str(chat_id))
            )
        ).scalar_one_or_none()


def is_unreachable(channel: str, chat_id: str | int, *, engine: Engine | None = None) -> bool:
    return unreachable_reason(channel, chat_id, engine=engine) is not None
