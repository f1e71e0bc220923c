"""What needs the running Rasa server: push a staff reply into the citizen's channel, resume the
conversation, and read what the citizen wrote while waiting (from the tracker store).

Channels that can push (Telegram, Zalo…) are found among the input channels Rasa registered on the
Sanic app (``app.ctx.input_channels``): the one whose ``name()`` equals the ticket's channel gives
``get_output_channel()``. Rasa's REST channel cannot push (it answers only the request it gets), so
for it the reply is **stored** and handed out once by ``POST /webhooks/console/replies``
(:func:`bot.console.handoff.take_stored_replies`), which a web client polls while it waits.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List

from rasa.core.channels.channel import OutputChannel
from rasa.shared.core.events import BotUttered, ConversationResumed, UserUttered

from bot.console.handoff import FAILED, SENT, STORED, HandoffMessage, HandoffStore, HandoffTicket

logger = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 30.0
# Channels that answer a request and cannot push: replies wait in the store for the client's poll.
PULL_CHANNELS = frozenset({"rest", "console"})


class RelayUnavailable(RuntimeError):
    """The Rasa agent is not loaded (no model yet): conversations cannot be resumed."""


def output_channel_for(app: Any, channel_name: str) -> OutputChannel | None:
    for input_channel in getattr(app.ctx, "input_channels", None) or []:
        if input_channel.name() == channel_name:
            output = input_channel.get_output_channel()
            if output is not None:
                return output
    return None


async def deliver(app: Any, store: HandoffStore, ticket: HandoffTicket, message: HandoffMessage) -> str:
    """Send ``message`` to the ticket's citizen; returns and records ``sent``, ``stored`` or ``failed``."""
    output = output_channel_for(app, ticket.channel)
    if output is None:
        delivery = STORED if ticket.channel in PULL_CHANNELS else FAILED
        if delivery == FAILED:
            logger.warning("Handoff %s: channel %r is not enabled on this server", ticket.id, ticket.channel)
    else:
        try:
            await asyncio.wait_for(
                output.send_text_message(ticket.sender_id, message.text), timeout=SEND_TIMEOUT_SECONDS
            )
            delivery = SENT
        except Exception as exc:  # the channel refused or timed out: staff see "failed" and can retry
            logger.warning(
                "Handoff %s: sending on %s failed (%s)", ticket.id, ticket.channel, type(exc).__name__
            )
            delivery = FAILED
    await asyncio.to_thread(store.mark_delivery, message.id, delivery)
    return delivery


def _agent(app: Any) -> Any:
    agent = getattr(app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        raise RelayUnavailable("no model loaded")
    return agent


async def resume_conversation(app: Any, sender_id: str) -> None:
    """Append ``ConversationResumed`` to the tracker, as Rasa's HTTP API would."""
    agent = _agent(app)
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.processor.get_tracker(sender_id)
        tracker.update(ConversationResumed())
        await agent.processor.save_tracker(tracker)


async def live_messages(app: Any, ticket: HandoffTicket) -> List[Dict[str, Any]]:
    """User and bot turns the tracker holds since the ticket was opened (the citizen keeps writing)."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return []
    tracker = await agent.tracker_store.retrieve(ticket.sender_id)
    if tracker is None:
        return []
    since = ticket.created_at.timestamp()
    messages: List[Dict[str, Any]] = []
    for event in tracker.events:
        if event.timestamp <= since or not isinstance(event, (UserUttered, BotUttered)) or not event.text:
            continue
        messages.append(
            {
                "id": None,
                "role": "user" if isinstance(event, UserUttered) else "bot",
                "text": event.text,
                "time": _iso(event.timestamp),
                "staff_name": None,
                "delivery": None,
            }
        )
    return messages


def _iso(timestamp: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc).isoformat()
