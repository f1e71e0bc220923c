"""A provincial one-stop-shop HTTP API as a dossier provider.

``GET {base_url}{path}`` with ``{code}`` filled in; an auth header when configured; a timeout on
every request; retries with exponential backoff on timeouts, connection errors, 429 and 5xx. The
JSON answer is mapped to the export's column names (``DOSSIER_API_FIELD_MAP``; dotted keys reach
into nested objects) and checked like an imported row. 404 → ``not_found``; anything else that
goes wrong → ``unavailable`` (logged for operators, never shown to citizens).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, Mapping
from urllib.parse import quote

import httpx

from bot.dossiers.fields import ALL_COLUMNS, FieldError, build_record, cached_service_resolver
from bot.dossiers.providers import ProviderOutcome, ProviderResult

logger = logging.getLogger(__name__)

DEFAULT_FIELD_MAP: Dict[str, str] = {name: name for name in ALL_COLUMNS}


class _Retryable(Exception):
    pass


def _dig(document: Any, dotted: str) -> Any:
    value = document
    for part in dotted.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class HttpOneStopShopProvider:
    def __init__(
        self,
        base_url: str,
        *,
        pepper: str,
        path: str = "/dossiers/{code}",
        auth_header: str = "Authorization",
        auth_value: str | None = None,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.5,
        field_map: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        unknown = set(field_map or {}) - set(ALL_COLUMNS)
        if unknown:
            raise ValueError(
                "DOSSIER_API_FIELD_MAP has unknown keys: "
                + ", ".join(sorted(unknown))
                + " (keys are the export's column names: "
                + ", ".join(ALL_COLUMNS)
                + ")"
            )
        self.base_url = base_url.rstrip("/")
        self.path = path
        self.headers = {"Accept": "application/json"}
        if auth_value:
            self.headers[auth_header] = auth_value
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.field_map = {**DEFAULT_FIELD_MAP, **(field_map or {})}
        self.pepper = pepper
        self.sleep = sleep
        self._resolve = cached_service_resolver()

    def _get(self, client: httpx.Client, url: str) -> httpx.Response:
        try:
            response = client.get(url)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection error ({type(exc).__name__})") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retryable(f"HTTP {response.status_code}")
        return response

    def fetch(self, code: str) -> ProviderResult:
        url = self.base_url + self.path.replace("{code}", quote(code, safe=""))
        response: httpx.Response | None = None
        problem = ""
        with httpx.Client(timeout=self.timeout, headers=self.headers) as client:
            for attempt in range(self.retries + 1):
                if attempt:
                    self.sleep(self.backoff * 2 ** (attempt - 1))
                try:
                    response = self._get(client, url)
                    break
                except _Retryable as exc:
                    problem = str(exc)
                    logger.info("dossier API attempt %d failed: %s", attempt + 1, problem)
        if response is None:
            return self._unavailable(f"{problem} after {self.retries + 1} attempts")
        if response.status_code == 404:
            return ProviderResult(ProviderOutcome.NOT_FOUND)
        if response.status_code != 200:
            hint = (
                " (check DOSSIER_API_AUTH_HEADER/DOSSIER_API_AUTH_VALUE)"
                if response.status_code in (401, 403)
                else ""
            )
            return self._unavailable(f"HTTP {response.status_code}{hint}")
        try:
            document = response.json()
        except ValueError:
            return self._unavailable("malformed JSON")
        if not isinstance(document, (dict, list)):
            return self._unavailable("JSON is not an object")
        values = {name: _dig(document, key) for name, key in self.field_map.items()}
        if values.get("ma_ho_so") in (None, ""):
            values["ma_ho_so"] = code
        try:
            record = build_record(
                values,
                pepper=self.pepper,
                resolve=self._resolve,
                require_service=False,
                last4_only_phone=True,
            )
        except FieldError as exc:
            return self._unavailable(f"unexpected answer: {exc} (check DOSSIER_API_FIELD_MAP)")
        if record.code != code:
            return self._unavailable(f"answer is for another dossier ({record.code})")
        return ProviderResult(ProviderOutcome.FOUND, record)

    def _unavailable(self, detail: str) -> ProviderResult:
        logger.warning("dossier API %s unavailable: %s", self.base_url, detail)
        return ProviderResult(ProviderOutcome.UNAVAILABLE, detail=detail)
