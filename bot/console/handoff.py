"""Handoff requests: conversations waiting for a human, their transcript and the staff replies.

The conversation's handoff action calls :func:`request_handoff` (it pauses the conversation with
Rasa's ``ConversationPaused`` itself); the console lists, takes, answers and releases tickets.
Transcripts keep personal data exactly as the citizen wrote it, in the database only: nothing
here logs message text or full sender ids.

Delivering a staff reply to the citizen's channel and resuming the conversation need the running
Rasa server; :mod:`bot.console.relay` does that and records the outcome here.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Literal, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.console.models import HandoffMessageRow, HandoffTicketRow, utcnow
from bot.db import session_scope

logger = logging.getLogger(__name__)

OPEN, TAKEN, CLOSED = "open", "taken", "closed"
ACTIVE_STATUSES = (OPEN, TAKEN)
MAX_TRANSCRIPT_ITEMS = 50
MAX_TRANSCRIPT_TEXT = 4000
# Zalo's OA messages stop at 2,000 characters; Telegram's at 4,096.
MAX_REPLY_TEXT = 2000

# Delivery states of a staff reply.
PENDING, SENT, STORED, DELIVERED, FAILED = "pending", "sent", "stored", "delivered", "failed"

CITIZEN_NOTICE = (
    "Mình đã chuyển cuộc trò chuyện cho cán bộ tổng đài. Cán bộ sẽ trả lời bạn ngay tại đây, "
    "vui lòng chờ trong giây lát."
)
RELEASE_NOTICE = "Cán bộ đã kết thúc hỗ trợ. Trợ lý tự động tiếp tục trả lời bạn; bạn cứ hỏi tiếp nhé."


class HandoffUnavailable(RuntimeError):
    """The handoff store cannot be reached; tell the citizen to call the hotline instead."""


class HandoffInputError(ValueError):
    """The caller passed something unusable (empty sender id or channel name)."""


@dataclass(frozen=True)
class HandoffMessage:
    id: int
    role: str  # user | bot | staff | notice
    text: str
    time: dt.datetime
    staff_name: str | None = None
    delivery: str | None = None

    def as_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "text": self.text,
            "time": self.time.isoformat(),
            "staff_name": self.staff_name,
            "delivery": self.delivery,
        }


@dataclass(frozen=True)
class HandoffTicket:
    id: str
    sender_id: str
    channel: str
    status: str  # open | taken | closed
    created_at: dt.datetime
    updated_at: dt.datetime
    taken_by: str | None
    closed_by: str | None
    closed_at: dt.datetime | None
    messages: Tuple[HandoffMessage, ...]
    # False when the conversation already had an active ticket (the new transcript lines were added).
    created: bool = True

    @property
    def citizen_notice(self) -> str:
        """What the assistant tells the citizen once the request is queued."""
        return CITIZEN_NOTICE

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def as_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "sender_id": self.sender_id,
            "channel": self.channel,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "taken_by": self.taken_by,
            "closed_by": self.closed_by,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "messages": [m.as_dict() for m in self.messages],
        }


TakeOutcome = Literal["taken", "already_yours", "taken_by_other", "closed", "not_found"]
ReplyOutcome = Literal["recorded", "empty", "too_long", "taken_by_other", "closed", "not_found"]
ReleaseOutcome = Literal["released", "already_closed", "not_found"]


@dataclass(frozen=True)
class ReplyResult:
    outcome: ReplyOutcome
    message: HandoffMessage | None = None
    ticket: HandoffTicket | None = None


def mask_sender(sender_id: str) -> str:
    """For logs: never the whole id (a phone number or a chat id is personal data)."""
    return "…" + sender_id[-4:] if len(sender_id) > 4 else "…"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def parse_time(value: Any) -> dt.datetime:
    """Rasa timestamps (seconds), ISO strings or datetimes → aware UTC; anything else → now."""
    try:
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(float(value), tz=dt.timezone.utc)
        if isinstance(value, str) and value.strip():
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    return utcnow()


def clean_transcript(items: Iterable[Any]) -> List[Tuple[str, str, dt.datetime]]:
    """Keep well-formed user/bot lines (NFC, trimmed), the last MAX_TRANSCRIPT_ITEMS of them."""
    cleaned: List[Tuple[str, str, dt.datetime]] = []
    for item in items or ():
        if not isinstance(item, dict):
            continue
        role, text = item.get("role"), item.get("text")
        if role not in ("user", "bot") or not isinstance(text, str) or not text.strip():
            continue
        cleaned.append((role, _nfc(text.strip())[:MAX_TRANSCRIPT_TEXT], parse_time(item.get("time"))))
    return cleaned[-MAX_TRANSCRIPT_ITEMS:]


def _message(row: HandoffMessageRow) -> HandoffMessage:
    return HandoffMessage(
        id=row.id,
        role=row.role,
        text=row.text,
        time=row.time,
        staff_name=row.staff_name,
        delivery=row.delivery,
    )


class HandoffStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- reading -----------------------------------------------------------------------------

    def _ticket(self, session: Session, row: HandoffTicketRow, created: bool = True) -> HandoffTicket:
        messages = (
            session.execute(
                sa.select(HandoffMessageRow)
                .where(HandoffMessageRow.ticket_id == row.id)
                .order_by(HandoffMessageRow.time, HandoffMessageRow.id)
            )
            .scalars()
            .all()
        )
        return HandoffTicket(
            id=row.id,
            sender_id=row.sender_id,
            channel=row.channel,
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
            taken_by=row.taken_by,
            closed_by=row.closed_by,
            closed_at=row.closed_at,
            messages=tuple(_message(m) for m in messages),
            created=created,
        )

    def get(self, ticket_id: str) -> HandoffTicket | None:
        if not ticket_id or len(ticket_id) > 32:
            return None
        with session_scope(self.engine) as session:
            row = session.get(HandoffTicketRow, ticket_id)
            return self._ticket(session, row) if row else None

    def list_open(self, limit: int = 200) -> List[HandoffTicket]:
        """Active tickets (waiting or being answered), oldest first."""
        with session_scope(self.engine) as session:
            rows = (
                session.execute(
                    sa.select(HandoffTicketRow)
                    .where(HandoffTicketRow.status.in_(ACTIVE_STATUSES))
                    .order_by(HandoffTicketRow.created_at, HandoffTicketRow.id)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            return [self._ticket(session, row) for row in rows]

    def active_for(self, sender_id: str, channel: str) -> HandoffTicket | None:
        with session_scope(self.engine) as session:
            row = self._active_row(session, sender_id, channel)
            return self._ticket(session, row) if row else None

    @staticmethod
    def _active_row(session: Session, sender_id: str, channel: str) -> HandoffTicketRow | None:
        return (
            session.execute(
                sa.select(HandoffTicketRow)
                .where(
                    HandoffTicketRow.sender_id == sender_id,
                    HandoffTicketRow.channel == channel,
                    HandoffTicketRow.status.in_(ACTIVE_STATUSES),
                )
                .order_by(HandoffTicketRow.created_at.desc())
            )
            .scalars()
            .first()
        )

    # --- the conversation's side -------------------------------------------------------------

    def request_handoff(
        self, sender_id: str, channel: str, transcript: Sequence[Dict[str, Any]]
    ) -> HandoffTicket:
        """Queue the conversation for a human (or add to its waiting ticket); see module doc."""
        if not isinstance(sender_id, str) or not sender_id.strip() or len(sender_id) > 255:
            raise HandoffInputError("sender_id must be a non-empty string of at most 255 characters")
        if not isinstance(channel, str) or not channel.strip() or len(channel) > 64:
            raise HandoffInputError("channel must be a non-empty string of at most 64 characters")
        lines = clean_transcript(transcript)
        try:
            with session_scope(self.engine) as session:
                now = utcnow()
                row = self._active_row(session, sender_id, channel)
                created = row is None
                if row is None:
                    row = HandoffTicketRow(
                        id=uuid.uuid4().hex, sender_id=sender_id, channel=channel, status=OPEN, created_at=now
                    )
                    session.add(row)
                else:
                    # The same conversation asked again: add only the lines newer than what we have.
                    latest = session.execute(
                        sa.select(sa.func.max(HandoffMessageRow.time)).where(
                            HandoffMessageRow.ticket_id == row.id, HandoffMessageRow.role.in_(("user", "bot"))
                        )
                    ).scalar_one_or_none()
                    if latest is not None:
                        latest = parse_time(latest)
                        lines = [line for line in lines if line[2] > latest]
                row.updated_at = now
                session.flush()
                for role, text, time in lines:
                    session.add(HandoffMessageRow(ticket_id=row.id, role=role, text=text, time=time))
                session.flush()
                ticket = self._ticket(session, row, created=created)
        except SQLAlchemyError as exc:
            logger.error(
                "Handoff store unavailable (%s); the citizen is told to call the hotline", type(exc).__name__
            )
            raise HandoffUnavailable("the handoff store cannot be reached") from exc
        logger.info(
            "Handoff %s %s for %s on %s (%d transcript lines)",
            ticket.id,
            "queued" if created else "updated",
            mask_sender(sender_id),
            channel,
            len(lines),
        )
        return ticket

    # --- the console's side ------------------------------------------------------------------

    def take(self, ticket_id: str, staff_name: str) -> TakeOutcome:
        with session_scope(self.engine) as session:
            row = session.get(HandoffTicketRow, ticket_id) if ticket_id and len(ticket_id) <= 32 else None
            if row is None:
                return "not_found"
            if row.status == CLOSED:
                return "closed"
            if row.status == TAKEN:
                return "already_yours" if row.taken_by == staff_name else "taken_by_other"
            now = utcnow()
            # Conditional update: of two staff clicking at once, exactly one wins.
            claimed = session.execute(
                sa.update(HandoffTicketRow)
                .where(HandoffTicketRow.id == ticket_id, HandoffTicketRow.status == OPEN)
                .values(status=TAKEN, taken_by=staff_name, taken_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                session.expire(row)
                return "already_yours" if row.taken_by == staff_name else "taken_by_other"
        logger.info("Handoff %s taken by staff %s", ticket_id, staff_name)
        return "taken"

    def staff_reply(self, ticket_id: str, staff_name: str, text: str) -> ReplyResult:
        """Record a reply (delivery ``pending``); an open ticket is taken by whoever answers first."""
        cleaned = _nfc(text or "").strip()
        if not cleaned:
            return ReplyResult("empty")
        if len(cleaned) > MAX_REPLY_TEXT:
            return ReplyResult("too_long")
        taken = self.take(ticket_id, staff_name)
        if taken == "not_found" or taken == "closed" or taken == "taken_by_other":
            return ReplyResult(taken)
        with session_scope(self.engine) as session:
            now = utcnow()
            row = HandoffMessageRow(
                ticket_id=ticket_id,
                role="staff",
                text=cleaned,
                time=now,
                staff_name=staff_name,
                delivery=PENDING,
            )
            session.add(row)
            ticket_row = session.get(HandoffTicketRow, ticket_id)
            ticket_row.updated_at = now
            session.flush()
            return ReplyResult("recorded", _message(row), self._ticket(session, ticket_row))

    def add_notice(self, ticket_id: str, text: str, delivery: str) -> HandoffMessage:
        with session_scope(self.engine) as session:
            row = HandoffMessageRow(
                ticket_id=ticket_id, role="notice", text=text, time=utcnow(), delivery=delivery
            )
            session.add(row)
            session.flush()
            return _message(row)

    def mark_delivery(self, message_id: int, delivery: str) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                sa.update(HandoffMessageRow)
                .where(HandoffMessageRow.id == message_id)
                .values(delivery=delivery)
            )

    def release(self, ticket_id: str, staff_name: str) -> ReleaseOutcome:
        """Close the ticket (the relay resumes the conversation first)."""
        with session_scope(self.engine) as session:
            row = session.get(HandoffTicketRow, ticket_id) if ticket_id and len(ticket_id) <= 32 else None
            if row is None:
                return "not_found"
            if row.status == CLOSED:
                return "already_closed"
            now = utcnow()
            row.status, row.closed_by, row.closed_at, row.updated_at = CLOSED, staff_name, now, now
        logger.info("Handoff %s released by staff %s", ticket_id, staff_name)
        return "released"

    def take_stored_replies(self, sender_id: str, channel: str = "rest") -> List[HandoffMessage]:
        """Replies waiting for a channel that cannot push (REST): returned once, then ``delivered``."""
        with session_scope(self.engine) as session:
            rows = (
                session.execute(
                    sa.select(HandoffMessageRow)
                    .join(HandoffTicketRow, HandoffTicketRow.id == HandoffMessageRow.ticket_id)
                    .where(
                        HandoffTicketRow.sender_id == sender_id,
                        HandoffTicketRow.channel == channel,
                        HandoffMessageRow.delivery == STORED,
                    )
                    .order_by(HandoffMessageRow.time, HandoffMessageRow.id)
                    .with_for_update()
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.delivery = DELIVERED
            return [_message(row) for row in rows]


@lru_cache(maxsize=1)
def default_store() -> HandoffStore:
    from bot.db import default_engine

    return HandoffStore(default_engine())


def request_handoff(sender_id: str, channel: str, transcript: List[Dict[str, Any]]) -> HandoffTicket:
    """Queue ``sender_id``'s conversation on ``channel`` for a human.

    ``transcript``: ``{"role": "user" | "bot", "text": str, "time": seconds | ISO string}`` items,
    oldest first (the last 50 are kept). Returns the ticket; ``ticket.created`` is False when the
    conversation was already waiting, ``ticket.citizen_notice`` is the text to send. Raises
    :class:`HandoffUnavailable` when the database cannot be reached (tell the citizen to call the
    hotline) and :class:`HandoffInputError` for an empty sender id or channel.
    """
    return default_store().request_handoff(sender_id, channel, transcript)


def list_open() -> List[HandoffTicket]:
    return default_store().list_open()


def get(ticket_id: str) -> HandoffTicket | None:
    return default_store().get(ticket_id)


def take(ticket_id: str, staff_name: str) -> TakeOutcome:
    return default_store().take(ticket_id, staff_name)


def staff_reply(ticket_id: str, staff_name: str, text: str) -> ReplyResult:
    return default_store().staff_reply(ticket_id, staff_name, text)


def release(ticket_id: str, staff_name: str) -> ReleaseOutcome:
    return default_store().release(ticket_id, staff_name)


def take_stored_replies(sender_id: str, channel: str = "rest") -> List[HandoffMessage]:
    return default_store().take_stored_replies(sender_id, channel)
