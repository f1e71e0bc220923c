"""The Zalo OA token pair, kept in the database so that a single-use refresh token is never lost.

Zalo's refresh token works once: each refresh returns a new access token AND a new refresh token.
So a refresh here is one database transaction that

1. locks the token row (an UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so only
   one process or thread refreshes at a time — a waiter that finds a newer generation afterwards
   simply uses it instead of spending the (already spent) refresh token again;
2. calls Zalo with the current refresh token;
3. writes the new pair and commits — and only then is the new access token handed out.

A crash before the commit leaves the old pair (Zalo's answer is lost, the old refresh token may be
spent: unavoidable, and the window is one HTTP round trip); a crash after it leaves the new pair.
If the commit itself fails after Zalo answered, the new refresh token is written to a private
recovery file under var/ and the log says how to re-seed from it (ZALO_REFRESH_TOKEN).

The settings ZALO_ACCESS_TOKEN / ZALO_REFRESH_TOKEN only seed the row; when the operator puts a new
ZALO_REFRESH_TOKEN in the environment (re-authorised OA) the row is re-seeded from it.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.channels.storage import resolve_engine, utcnow
from bot.channels.tables import zalo_oa_tokens

logger = logging.getLogger(__name__)

_ROW_ID = 1


@dataclass(frozen=True)
class TokenGrant:
    """What Zalo's token endpoint answered."""

    access_token: str
    refresh_token: str
    expires_in: float


@dataclass(frozen=True)
class TokenState:
    access_token: Optional[str]
    access_expires_at: Optional[datetime]
    refresh_token: Optional[str]
    generation: int

    def expires_within(self, margin: timedelta, now: datetime | None = None) -> bool:
        """True when there is no access token or it expires within ``margin``.

        An unknown expiry (token seeded from settings) counts as valid: Zalo's invalid-token
        answer then triggers the refresh.
        """
        if not self.access_token:
            return True
        if self.access_expires_at is None:
            return False
        return self.access_expires_at - (now or utcnow()) <= margin


class MissingRefreshToken(RuntimeError):
    """No refresh token to refresh with: the OA has to be authorised again."""


class ZaloTokenStore:
    def __init__(
        self,
        engine: Engine | None = None,
        *,
        seed_access_token: Optional[str] = None,
        seed_refresh_token: Optional[str] = None,
        recovery_dir: Path | None = None,
        after_persist: Callable[[TokenState], None] | None = None,
    ) -> None:
        self._engine = engine
        self.seed_access_token = seed_access_token or None
        self.seed_refresh_token = seed_refresh_token or None
        self.recovery_dir = recovery_dir
        # Test hook: runs right after the new pair is committed, before anyone uses it.
        self.after_persist = after_persist

    @property
    def _seed_fingerprint(self) -> str:
        seed = self.seed_refresh_token or self.seed_access_token or ""
        return hashlib.sha256(seed.encode("utf-8")).hexdigest()

    def load(self) -> TokenState:
        """The current pair, seeding (or re-seeding) the row from settings when needed."""
        engine = resolve_engine(self._engine)
        with engine.begin() as connection:
            row = _select(connection)
            if row is not None and row.seed_fingerprint != self._seed_fingerprint and self._has_seed:
                logger.info("Zalo tokens re-seeded from settings (ZALO_REFRESH_TOKEN changed)")
                connection.execute(
                    _update().values(
                        access_token=self.seed_access_token,
                        access_expires_at=None,
                        refresh_token=self.seed_refresh_token,
                        seed_fingerprint=self._seed_fingerprint,
                        generation=row.generation + 1,
                        updated_at=utcnow(),
                    )
                )
                row = _select(connection)
        if row is None:
            try:
                with engine.begin() as connection:
                    connection.execute(
                        zalo_oa_tokens.insert().values(
                            id=_ROW_ID,
                            access_token=self.seed_access_token,
                            access_expires_at=None,
                            refresh_token=self.seed_refresh_token,
                            seed_fingerprint=self._seed_fingerprint,
                            generation=0,
                            updated_at=utcnow(),
                        )
                    )
            except IntegrityError:
                pass  # another process seeded it first
            with engine.connect() as connection:
                row = _select(connection)
        assert row is not None
        return _state(row)

    @property
    def _has_seed(self) -> bool:
        return bool(self.seed_refresh_token or self.seed_access_token)

    def refresh(
        self, observed_generation: Optional[int], exchange: Callable[[str], TokenGrant]
    ) -> TokenState:
        """Swap the refresh token for a new pair, one refresher at a time (see module docstring).

        ``observed_generation`` is the generation the caller found stale; when the row has moved
        on meanwhile, the newer pair is returned without calling Zalo. None forces a refresh.
        """
        self.load()
        grant: Optional[TokenGrant] = None
        try:
            with resolve_engine(self._engine).begin() as connection:
                connection.execute(_update().values(generation=zalo_oa_tokens.c.generation))  # lock
                row = _select(connection)
                assert row is not None
                if observed_generation is not None and row.generation != observed_generation:
                    return _state(row)
                if not row.refresh_token:
                    raise MissingRefreshToken(
                        "No Zalo refresh token: authorise the OA again and set ZALO_REFRESH_TOKEN"
                    )
                grant = exchange(row.refresh_token)
                expires_at = utcnow() + timedelta(seconds=grant.expires_in)
                connection.execute(
                    _update().values(
                        access_token=grant.access_token,
                        access_expires_at=expires_at,
                        refresh_token=grant.refresh_token,
                        generation=row.generation + 1,
                        updated_at=utcnow(),
                    )
                )
                new_state = TokenState(
                    grant.access_token, expires_at, grant.refresh_token, row.generation + 1
                )
        except Exception:
            if grant is not None:
                self._write_recovery(grant)
            raise
        logger.info("Zalo access token refreshed (generation %d)", new_state.generation)
        if self.after_persist is not None:
            self.after_persist(new_state)
        return new_state

    def _write_recovery(self, grant: TokenGrant) -> None:
        from bot.settings import VAR_DIR

        directory = self.recovery_dir or VAR_DIR
        path = directory / "zalo_refresh_token.recovery"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(grant.refresh_token + "\n")
        except OSError:
            logger.critical("Zalo: could not save the new refresh token anywhere; re-authorise the OA")
            return
        logger.critical(
            "Zalo: the new refresh token could not be stored in the database; it was saved to %s. "
            "Set ZALO_REFRESH_TOKEN to its content and restart, then delete the file.",
            path,
        )


def _update() -> Any:
    return sa.update(zalo_oa_tokens).where(zalo_oa_tokens.c.id == _ROW_ID)


def _select(connection: Connection) -> Any:
    return connection.execute(sa.select(zalo_oa_tokens).where(zalo_oa_tokens.c.id == _ROW_ID)).one_or_none()


def _state(row: Any) -> TokenState:
    return TokenState(row.access_token, row.access_expires_at, row.refresh_token, int(row.generation))
