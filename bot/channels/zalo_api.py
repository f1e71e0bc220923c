"""Every Zalo API shape in one place: OA message API v3.0, OAuth v4 token refresh, error codes.

These shapes come from Zalo's official SDKs and integrators' code (developers.zalo.me is the
reference); if Zalo changes something, this is the one module to correct.

- Send: ``POST {ZALO_API_BASE_URL}/v3.0/oa/message/cs``, header ``access_token``, JSON
  ``{"recipient": {"user_id"}, "message": {"text", "attachment"?}}``; the answer is
  ``{"error": 0, "message": "Success", "data": {"message_id", "user_id"}}`` and a negative
  ``error`` is a failure even with HTTP 200.
- Buttons: ``message.attachment = {"type": "template", "payload": {"buttons": [...]}}`` with
  ``oa.query.hide`` (payload sent back as a user_send_text, not shown), ``oa.open.url``
  (``payload.url``), ``oa.open.phone`` (``payload.phone_code``).
- Refresh: ``POST {ZALO_OAUTH_BASE_URL}/v4/oa/access_token``, header ``secret_key`` (app secret),
  form ``app_id, grant_type=refresh_token, refresh_token``; the answer has ``access_token``,
  ``refresh_token`` (new, single-use) and ``expires_in`` (seconds, as a string), or ``error``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Dict, List, Optional, Tuple

import httpx
from sqlalchemy.engine import Engine

from bot.channels.config import zalo_missing_settings
from bot.channels.storage import in_thread, mask_id
from bot.channels.text_split import split_text
from bot.channels.zalo_tokens import MissingRefreshToken, TokenGrant, TokenState, ZaloTokenStore
from bot.settings import Settings, SettingsError, get_settings
from nlu.text import to_nfc

logger = logging.getLogger(__name__)

SEND_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"

TEXT_LIMIT = 2000  # characters of a consultation text message
BUTTON_TEXT_LIMIT = 640  # text above a button template (conservative)
MAX_BUTTONS = 5
BUTTON_TITLE_LIMIT = 100
DEFAULT_TOKEN_LIFETIME = 90000.0  # seconds (25 h) when Zalo's answer does not say
REFRESH_MARGIN = timedelta(hours=1)  # refresh this long before the access token expires

# Error codes (negative "error" in the answer).
TOKEN_ERRORS = frozenset({-216, -220, -124})  # access token invalid / expired or removed
RATE_LIMIT_ERRORS = frozenset({-32})  # app reached its API call limit
UNREACHABLE_ERRORS = frozenset(
    {
        -213,  # user has not followed the OA
        -217,  # user blocked the OA's invitations
        -227,  # user banned or inactive for more than 45 days
        -230,  # user has not interacted with the OA in the past 7 days
        -232,  # user has not interacted yet / interaction expired
        -244,  # user has restricted this message type from the OA
    }
)
TRANSIENT_ERRORS = frozenset({-32, -211, -214, -218})  # rate, quota, still processing
TRANSPORT_ERROR = -1  # no usable answer: network error, timeout, HTTP 5xx, not JSON


class ZaloApiError(Exception):
    """Zalo refused or failed a call. ``transient`` says whether retrying later may succeed."""

    def __init__(self, code: int, message: str, *, http_status: Optional[int] = None) -> None:
        super().__init__(f"Zalo API error {code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status

    @property
    def transient(self) -> bool:
        return (
            self.code in TRANSIENT_ERRORS
            or self.code == TRANSPORT_ERROR
            or (self.http_status is not None and self.http_status >= 500)
        )

    @property
    def permanent(self) -> bool:
        return not self.transient


class ZaloRateLimited(ZaloApiError):
    """Too many calls: wait ``retry_after`` seconds (None: Zalo did not say) and retry."""

    def __init__(
        self, retry_after: Optional[float] = None, code: int = -32, message: str = "rate limited"
    ) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return True


class ZaloUserUnreachable(ZaloApiError):
    """The user cannot receive OA messages (not following, blocked, outside the 7-day window…)."""

    def __init__(self, code: int = -213, message: str = "user unreachable") -> None:
        super().__init__(code, message)

    @property
    def transient(self) -> bool:
        return False


def error_for(code: int, message: str, *, http_status: Optional[int] = None) -> ZaloApiError:
    if code in RATE_LIMIT_ERRORS:
        return ZaloRateLimited(None, code, message)
    if code in UNREACHABLE_ERRORS:
        return ZaloUserUnreachable(code, message)
    return ZaloApiError(code, message, http_status=http_status)


def zalo_button(button: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """A Rasa button ({title, payload}) in Zalo's shape; Zalo-shaped dicts pass through."""
    if "type" in button and str(button["type"]).startswith("oa."):
        return dict(button)
    payload = str(button.get("payload") or "").strip()
    title = to_nfc(str(button.get("title") or payload).strip())[:BUTTON_TITLE_LIMIT]
    url = str(button.get("url") or "")
    if not title or not (payload or url):
        return None
    if url or payload.startswith(("https://", "http://")):
        return {"title": title, "type": "oa.open.url", "payload": {"url": url or payload}}
    if payload.startswith("tel:"):
        return {"title": title, "type": "oa.open.phone", "payload": {"phone_code": payload[4:]}}
    return {"title": title, "type": "oa.query.hide", "payload": payload}


def message_body(user_id: str, text: str, buttons: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    message: Dict[str, Any] = {"text": text}
    if buttons:
        message["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
    return {"recipient": {"user_id": str(user_id)}, "message": message}


def parse_answer(http_status: int, body: bytes, headers: Optional[httpx.Headers] = None) -> Dict[str, Any]:
    """The JSON answer, or the right exception (negative ``error`` fails even with HTTP 200)."""
    if http_status == 429:
        retry = (headers or httpx.Headers()).get("Retry-After")
        raise ZaloRateLimited(float(retry) if retry and retry.replace(".", "", 1).isdigit() else None)
    try:
        answer = httpx.Response(http_status, content=body).json()
    except ValueError:
        raise ZaloApiError(
            TRANSPORT_ERROR, f"HTTP {http_status}, not JSON", http_status=http_status
        ) from None
    if not isinstance(answer, dict):
        raise ZaloApiError(TRANSPORT_ERROR, f"HTTP {http_status}, unexpected answer", http_status=http_status)
    code = answer.get("error", 0)
    try:
        code = int(code)
    except (TypeError, ValueError):
        code = TRANSPORT_ERROR
    if code < 0 or code == TRANSPORT_ERROR:
        message = str(
            answer.get("message") or answer.get("error_name") or answer.get("error_description") or ""
        )
        raise error_for(code, message, http_status=http_status)
    if http_status >= 400:
        raise ZaloApiError(TRANSPORT_ERROR, f"HTTP {http_status}", http_status=http_status)
    return answer


def request_token_refresh(
    http: httpx.Client, oauth_base_url: str, app_id: str, app_secret: str, refresh_token: str
) -> TokenGrant:
    """One call to Zalo's token endpoint (synchronous: it runs inside the token-row lock)."""
    try:
        reply = http.post(
            oauth_base_url.rstrip("/") + REFRESH_PATH,
            headers={"secret_key": app_secret},
            data={"app_id": app_id, "grant_type": "refresh_token", "refresh_token": refresh_token},
        )
    except httpx.HTTPError as exc:
        raise ZaloApiError(TRANSPORT_ERROR, f"token refresh failed: {type(exc).__name__}") from None
    answer = parse_answer(reply.status_code, reply.content, reply.headers)
    access, refresh = answer.get("access_token"), answer.get("refresh_token")
    if not access or not refresh:
        raise ZaloApiError(
            TRANSPORT_ERROR, "token refresh answer without tokens", http_status=reply.status_code
        )
    try:
        expires_in = float(answer.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
    except (TypeError, ValueError):
        expires_in = DEFAULT_TOKEN_LIFETIME
    return TokenGrant(str(access), str(refresh), expires_in)


class ZaloClient:
    """Sends OA consultation messages; keeps the access token fresh (see zalo_tokens)."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        tokens: ZaloTokenStore,
        api_base_url: str = "https://openapi.zalo.me",
        oauth_base_url: str = "https://oauth.zaloapp.com",
        timeout: float = 10.0,
        refresh_margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.tokens = tokens
        self.api_base_url = api_base_url.rstrip("/")
        self.oauth_base_url = oauth_base_url.rstrip("/")
        self.timeout = timeout
        self.refresh_margin = refresh_margin
        self._state: Optional[TokenState] = None
        self._refresh_lock = asyncio.Lock()
        self._http: Optional[httpx.AsyncClient] = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, engine: Engine | None = None) -> ZaloClient:
        settings = settings or get_settings()
        missing = zalo_missing_settings(settings)
        if missing:
            raise SettingsError("The Zalo channel needs " + ", ".join(missing))
        assert settings.zalo_app_id and settings.zalo_app_secret
        store = ZaloTokenStore(
            engine,
            seed_access_token=_secret(settings.zalo_access_token),
            seed_refresh_token=_secret(settings.zalo_refresh_token),
        )
        return cls(
            app_id=settings.zalo_app_id,
            app_secret=settings.zalo_app_secret.get_secret_value(),
            tokens=store,
            api_base_url=settings.zalo_api_base_url,
            oauth_base_url=settings.zalo_oauth_base_url,
            timeout=settings.channels_http_timeout_seconds,
        )

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout)
        return self._http

    # --- messages ---

    async def send_text(self, user_id: str, text: str, buttons: list[dict] | None = None) -> dict:
        """Send ``text`` to ``user_id`` (split at Zalo's length limit, buttons on the last part).

        Returns Zalo's answer for the last message sent. Raises :class:`ZaloRateLimited`,
        :class:`ZaloUserUnreachable` or :class:`ZaloApiError` (``.transient`` tells whether a
        retry may help).
        """
        zalo_buttons = [b for b in (zalo_button(button) for button in buttons or []) if b]
        parts = split_text(to_nfc(text or ""), TEXT_LIMIT)
        if zalo_buttons:
            last = split_text(parts.pop(), BUTTON_TEXT_LIMIT) if parts else ["Bạn chọn một mục:"]
            parts.extend(last)
        if not parts:
            raise ValueError("nothing to send: empty text and no buttons")
        groups = [zalo_buttons[i : i + MAX_BUTTONS] for i in range(0, len(zalo_buttons), MAX_BUTTONS)]
        messages: List[Tuple[str, Optional[List[Dict[str, Any]]]]] = [(part, None) for part in parts[:-1]]
        messages.append((parts[-1], groups[0] if groups else None))
        messages.extend(("Các lựa chọn khác:", group) for group in groups[1:])
        answer: Dict[str, Any] = {}
        for part, group in messages:
            answer = await self._call_with_token(SEND_PATH, message_body(user_id, part, group))
        return answer

    async def _call_with_token(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        state = await self._fresh_state()
        try:
            return await self._post(path, body, state)
        except ZaloApiError as exc:
            if exc.code not in TOKEN_ERRORS:
                raise
            logger.info("Zalo rejected the access token (%s); refreshing", exc.code)
        state = await self._refresh(state.generation)
        return await self._post(path, body, state)

    async def _post(self, path: str, body: Dict[str, Any], state: TokenState) -> Dict[str, Any]:
        if not state.access_token:
            raise ZaloApiError(-216, "no access token: set ZALO_REFRESH_TOKEN or ZALO_ACCESS_TOKEN")
        try:
            reply = await self._client().post(
                self.api_base_url + path, json=body, headers={"access_token": state.access_token}
            )
        except httpx.HTTPError as exc:
            raise ZaloApiError(TRANSPORT_ERROR, f"{type(exc).__name__} calling {path}") from None
        try:
            return parse_answer(reply.status_code, reply.content, reply.headers)
        except ZaloUserUnreachable:
            logger.info("Zalo user %s is unreachable", mask_id(body.get("recipient", {}).get("user_id")))
            raise

    # --- tokens ---

    async def _fresh_state(self) -> TokenState:
        if self._state is None:
            self._state = await in_thread(self.tokens.load)
        if self._state.expires_within(self.refresh_margin):
            return await self._refresh(self._state.generation)
        return self._state

    async def ensure_fresh_token(self) -> TokenState:
        """Refresh when the access token is missing, expires soon, or its expiry is unknown."""
        state = await self._fresh_state()
        if state.access_expires_at is None:
            state = await self._refresh(state.generation)
        return state

    async def refresh_access_token(self) -> TokenState:
        """Refresh now, whatever the expiry (operator command)."""
        return await self._refresh(None)

    async def _refresh(self, observed_generation: Optional[int]) -> TokenState:
        async with self._refresh_lock:  # one refresh at a time in this process…
            if (
                observed_generation is not None
                and self._state is not None
                and self._state.generation != observed_generation
                and not self._state.expires_within(self.refresh_margin)
            ):
                return self._state  # …and a waiter reuses the pair the first one got
            try:
                self._state = await in_thread(self.tokens.refresh, observed_generation, self._exchange)
            except MissingRefreshToken as exc:
                logger.error("Zalo: %s", exc)
                raise ZaloApiError(-216, str(exc)) from None
            except ZaloApiError as exc:
                if exc.permanent:
                    logger.error(
                        "Zalo refused the refresh token (%s): authorise the OA again and set "
                        "ZALO_REFRESH_TOKEN",
                        exc.code,
                    )
                raise
            return self._state

    def _exchange(self, refresh_token: str) -> TokenGrant:
        with httpx.Client(timeout=self.timeout) as http:
            return request_token_refresh(
                http, self.oauth_base_url, self.app_id, self._app_secret, refresh_token
            )


def _secret(value: Any) -> Optional[str]:
    return value.get_secret_value().strip() or None if value is not None else None
