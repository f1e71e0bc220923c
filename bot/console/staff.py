"""Staff accounts: add, list, disable, enable, reset password, check a login."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import List

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.console.models import Staff, StaffSession, utcnow
from bot.console.passwords import (
    DEFAULT_PARAMS,
    ScryptParams,
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from bot.db import session_scope

MAX_NAME_LENGTH = 80
MAX_PASSWORD_LENGTH = 1024


class StaffError(ValueError):
    """A staff command cannot be done; the message says why (shown to the operator)."""


@dataclass(frozen=True)
class StaffAccount:
    id: int
    name: str
    active: bool
    created_at: dt.datetime


def clean_name(name: str) -> str:
    """NFC, single spaces; refuses empty, over-long or control-character names."""
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned:
        raise StaffError("the staff name is empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise StaffError(f"the staff name is longer than {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise StaffError("the staff name contains control characters")
    return cleaned


def name_key(name: str) -> str:
    """What login compares: NFC, single spaces, case-folded ("Lan" and "lan" are one account)."""
    return unicodedata.normalize("NFC", " ".join(unicodedata.normalize("NFC", name).split()).casefold())


def _account(row: Staff) -> StaffAccount:
    return StaffAccount(id=row.id, name=row.name, active=bool(row.active), created_at=row.created_at)


class StaffStore:
    def __init__(
        self, engine: Engine, params: ScryptParams = DEFAULT_PARAMS, min_password_length: int = 10
    ) -> None:
        self.engine = engine
        self.params = params
        self.min_password_length = min_password_length

    def _check_password(self, password: str) -> None:
        if len(password) < self.min_password_length:
            raise StaffError(f"the password must have at least {self.min_password_length} characters")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise StaffError(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")

    def add(self, name: str, password: str) -> StaffAccount:
        cleaned = clean_name(name)
        self._check_password(password)
        row = Staff(
            name=cleaned, name_key=name_key(cleaned), password_hash=hash_password(password, self.params)
        )
        row.active = True
        row.created_at = utcnow()
        try:
            with session_scope(self.engine) as session:
                session.add(row)
                session.flush()
                return _account(row)
        except IntegrityError:
            raise StaffError(f"a staff account named {cleaned!r} already exists") from None

    def list(self) -> List[StaffAccount]:
        with session_scope(self.engine) as session:
            rows = session.execute(sa.select(Staff).order_by(Staff.name_key)).scalars().all()
            return [_account(row) for row in rows]

    def get(self, staff_id: int) -> StaffAccount | None:
        with session_scope(self.engine) as session:
            row = session.get(Staff, staff_id)
            return _account(row) if row else None

    def _set_active(self, name: str, active: bool) -> StaffAccount:
        with session_scope(self.engine) as session:
            row = session.execute(
                sa.select(Staff).where(Staff.name_key == name_key(name))
            ).scalar_one_or_none()
            if row is None:
                raise StaffError(f"no staff account named {clean_name(name)!r}")
            row.active = active
            row.disabled_at = None if active else utcnow()
            if not active:
                # Signing out everywhere: a disabled account keeps no session.
                session.execute(sa.delete(StaffSession).where(StaffSession.staff_id == row.id))
            return _account(row)

    def disable(self, name: str) -> StaffAccount:
        return self._set_active(name, False)

    def enable(self, name: str) -> StaffAccount:
        return self._set_active(name, True)

    def set_password(self, name: str, password: str) -> StaffAccount:
        self._check_password(password)
        with session_scope(self.engine) as session:
            row = session.execute(
                sa.select(Staff).where(Staff.name_key == name_key(name))
            ).scalar_one_or_none()
            if row is None:
                raise StaffError(f"no staff account named {clean_name(name)!r}")
            row.password_hash = hash_password(password, self.params)
            session.execute(sa.delete(StaffSession).where(StaffSession.staff_id == row.id))
            return _account(row)

    def check_login(self, name: str, password: str) -> StaffAccount | None:
        """The active account whose name and password match, else None (same cost either way)."""
        if not name or not password or len(password) > MAX_PASSWORD_LENGTH or len(name) > 4 * MAX_NAME_LENGTH:
            burn_verification_time("x", self.params)
            return None
        with session_scope(self.engine) as session:
            row = session.execute(
                sa.select(Staff).where(Staff.name_key == name_key(name))
            ).scalar_one_or_none()
            if row is None or not row.active:
                burn_verification_time(password, self.params)
                return None
            if not verify_password(password, row.password_hash):
                return None
            if needs_rehash(row.password_hash, self.params):
                row.password_hash = hash_password(password, self.params)
            return _account(row)
