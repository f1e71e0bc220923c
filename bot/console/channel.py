"""The console as a Rasa custom input channel, served at ``/webhooks/console/``.

Register it in ``credentials.yml``::

    bot.console.channel.ConsoleInput:

It needs no credentials: staff accounts live in the database (``python -m bot staff add``).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.console.services import ConsoleServices, default_services
from bot.console.web import build_blueprint


class ConsoleInput(InputChannel):
    def __init__(self, services: ConsoleServices | None = None) -> None:
        self._services = services

    @classmethod
    def name(cls) -> str:
        return "console"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> ConsoleInput:
        return cls()

    @property
    def services(self) -> ConsoleServices:
        if self._services is None:
            self._services = default_services()
        return self._services

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return build_blueprint("console_webhook", lambda: self.services, on_new_message)
