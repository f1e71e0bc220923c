"""Zalo OA sender over the Zalo client written in bot/channels/zalo_api.py (described here as a
Protocol so that this package does not depend on its import-time shape)."""

from __future__ import annotations

from typing import Any, Protocol

from bot.outreach.senders.base import SendOutcome

DEFAULT_RETRY_AFTER = 60.0  # Zalo did not say how long: wait a minute


class ZaloClient(Protocol):
    async def send_text(
        self, user_id: str, text: str, buttons: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]: ...


def _classify(exc: BaseException) -> SendOutcome | None:
    """Map the client's exceptions (ZaloRateLimited, ZaloUserUnreachable, ZaloApiError) by class name,
    so this module needs no import of the client."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "ZaloRateLimited" in names:
        retry_after = getattr(exc, "retry_after", None)
        return SendOutcome.retry_after(float(retry_after) if retry_after is not None else DEFAULT_RETRY_AFTER)
    if "ZaloUserUnreachable" in names:
        return SendOutcome.unreachable(f"zalo: {exc}")
    if "ZaloApiError" in names:
        code = getattr(exc, "code", None)
        message = getattr(exc, "message", str(exc))
        transient = getattr(exc, "transient", None)
        if transient is None:  # a client without the property: HTTP-like server error codes
            transient = isinstance(code, int) and 500 <= code <= 599
        if transient:
            return SendOutcome.transient(f"zalo {code}: {message}")
        return SendOutcome.failed(f"zalo {code}: {message}")
    return None


class ZaloSender:
    channel = "zalo"

    def __init__(self, client: ZaloClient) -> None:
        self.client = client

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        close = getattr(self.client, "aclose", None) or getattr(self.client, "close", None)
        if close is not None:
            await close()

    async def send(self, chat_id: str, text: str, buttons: list[dict[str, str]] | None) -> SendOutcome:
        # The client maps {"title", "url"} buttons to Zalo's oa.open.url actions.
        zalo_buttons = [{"title": b["text"], "url": b["url"]} for b in buttons or []]
        try:
            await self.client.send_text(chat_id, text, zalo_buttons or None)
        except Exception as exc:
            outcome = _classify(exc)
            if outcome is None:
                # Unknown failure (timeout, bug): the request may have left, so never resend blindly.
                return SendOutcome.uncertain(f"zalo: {type(exc).__name__}: {exc}")
            return outcome
        return SendOutcome.sent()
