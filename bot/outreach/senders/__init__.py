"""Channel senders: one message to one chat, answering with an explicit :class:`SendOutcome`."""

from bot.outreach.senders.base import Sender, SendOutcome

__all__ = ["SendOutcome", "Sender"]
