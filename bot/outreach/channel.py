"""Outreach operations as HTTP endpoints behind the hotline console's login.

Registered in ``credentials.yml`` as ``bot.outreach.channel.OutreachInput``, so the Rasa server
serves them at ``/webhooks/outreach/…`` (campaigns, dry run, send, pause, resume, cancel, report,
kill switch, subscriber import). Staff sign in on the console; its session cookie and CSRF token
authenticate these calls.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint


class OutreachInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "outreach"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> OutreachInput:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        from bot.console.auth import authenticate
        from bot.outreach.http import outreach_blueprint

        return outreach_blueprint(authenticate)
