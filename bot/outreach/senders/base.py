"""The sender protocol and its outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SendOutcome:
    """kind: sent | retry_after | unreachable | failed | transient | uncertain.

    - retry_after: the platform asked us to wait ``seconds`` (rate limit); retried, not a failure.
    - transient: retry with exponential backoff (5xx, connection refused): provably or very likely
      not delivered.
    - uncertain: the request may have reached the platform (read timeout); never resent blindly.
    """

    kind: str
    seconds: float = 0.0
    reason: str = ""

    @staticmethod
    def sent() -> SendOutcome:
        return SendOutcome("sent")

    @staticmethod
    def retry_after(seconds: float) -> SendOutcome:
        return SendOutcome("retry_after", seconds=max(0.0, float(seconds)), reason="rate limited")

    @staticmethod
    def unreachable(reason: str) -> SendOutcome:
        return SendOutcome("unreachable", reason=reason)

    @staticmethod
    def failed(reason: str) -> SendOutcome:
        return SendOutcome("failed", reason=reason)

    @staticmethod
    def transient(reason: str) -> SendOutcome:
        return SendOutcome("transient", reason=reason)

    @staticmethod
    def uncertain(reason: str) -> SendOutcome:
        return SendOutcome("uncertain", reason=reason)


class Sender(Protocol):
    channel: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]] | None) -> SendOutcome: ...
