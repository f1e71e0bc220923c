"""Outreach: subscribers with consent, campaigns, personal reminders, and the delivery worker.

The API the Rasa actions call (all synchronous; call them with ``asyncio.to_thread`` from an
async action): :func:`subscribe`, :func:`unsubscribe` (+ :func:`unsubscribe_message`),
:data:`TOPICS`, :func:`remind_birth_registration`, :func:`remind_result_waiting`.
Operators use ``python -m bot outreach …`` or the console's HTTP endpoints (``http.py``).
"""

from bot.outreach.reminders import ReminderResult, remind_birth_registration, remind_result_waiting
from bot.outreach.subscribers import SubscribeResult, subscribe, unsubscribe, unsubscribe_message
from bot.outreach.topics import TOPICS, Topic

__all__ = [
    "TOPICS",
    "ReminderResult",
    "SubscribeResult",
    "Topic",
    "remind_birth_registration",
    "remind_result_waiting",
    "subscribe",
    "unsubscribe",
    "unsubscribe_message",
]
