"""Per-message cost of the Rasa server that is not ours to change in Rasa's code, cut at start-up.

Rasa 3.6 validates every action server response with ``jsonschema.validate``, which first checks
the (large, constant) response schema against its meta-schema and compiles a new validator: about
10 ms of CPU in the event loop per custom action on this machine, more than NLU and the policies
together. :func:`install` replaces that with one validator compiled once per process. The response
is still validated against the same schema and an invalid response raises the same
``jsonschema.ValidationError`` with Rasa's explanation appended.

Loading a tracker looks up each stored event's class by walking every ``Event`` subclass (about
30 classes, ~40 events per conversation): :func:`install` remembers the class found per type name.

Every call to the action server opens a new aiohttp session and a new TCP connection
(``EndpointConfig.request`` enters ``EndpointConfig.session()`` and closes it again).
:func:`install` makes ``session()`` hand out one kept session per event loop and endpoint
settings, with keep-alive connections that the client drops after 2 s idle, before Sanic's 5 s
keep-alive timeout on the action server closes them. Request, timeout and error handling stay
Rasa's.

:func:`install` is called when the Rasa server builds its tracker store
(:class:`bot.tracker_store.SettingsTrackerStore`, named in ``endpoints.yml``), so it runs in the
Rasa server only, once per worker process, before the first message. It is idempotent.
"""

from __future__ import annotations

import asyncio
import gc
from functools import lru_cache
from types import TracebackType
from typing import Any, Dict, Optional, Tuple, Type

import aiohttp
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

_MARK = "_tro_ly_cached_validator"
_EVENT_CLASSES: Dict[str, Type[Event]] = {}
_resolve_by_type_uncached = Event.resolve_by_type


@lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """A validator for Rasa's action server response schema, checked and compiled once."""
    from jsonschema import validators

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` on the cached validator (same errors as Rasa's)."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(action_response_validator().iter_errors(result))
    if error is None:
        return True
    if not isinstance(error, ValidationError):  # pragma: no cover - best_match yields these
        raise error
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the "
        f"Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def resolve_event_class(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """``Event.resolve_by_type`` remembering the classes it found (unknown names are not cached)."""
    found = _EVENT_CLASSES.get(type_name)
    if found is not None:
        return found
    found = _resolve_by_type_uncached(type_name, default)
    if found is not None and found is not default:
        _EVENT_CLASSES[type_name] = found
    return found


CLIENT_KEEPALIVE_S = 2.0
_SESSIONS: Dict[Tuple[Any, ...], Tuple[asyncio.AbstractEventLoop, Any]] = {}


class KeptSession:
    """``async with`` on an aiohttp session that stays open after the block."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        return None


def kept_endpoint_session(self: EndpointConfig) -> KeptSession:
    """``EndpointConfig.session`` reusing one session per running loop and endpoint settings."""
    loop = asyncio.get_running_loop()
    key = (id(loop), tuple(sorted(self.headers.items())), tuple(sorted(self.basic_auth.items())))
    owner, session = _SESSIONS.get(key, (None, None))
    if session is None or session.closed or owner is not loop:
        auth = (
            aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth
            else None
        )
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=CLIENT_KEEPALIVE_S),
        )
        _SESSIONS[key] = (loop, session)
    return KeptSession(session)


async def close_kept_sessions() -> None:
    """Close the kept sessions of the running loop (server shutdown, tests)."""
    loop = asyncio.get_running_loop()
    for key, (owner, session) in list(_SESSIONS.items()):
        if owner is loop:
            del _SESSIONS[key]
            await session.close()


def close_kept_sessions_on_stop(blueprint: Any) -> None:
    """Close the kept sessions when the server of this Sanic blueprint stops (``before_server_stop``:
    Sanic refuses ``after_server_stop`` listeners in ASGI mode; a call made later opens a new one).

    Our channels (console, outreach) call it on their blueprints, so that ``rasa run`` shuts down
    without "Unclosed client session" errors; closing twice is harmless.
    """

    async def close(app: Any, loop: Any) -> None:
        await close_kept_sessions()

    blueprint.listener("before_server_stop")(close)


_FROZEN = False


def freeze_loaded_objects() -> bool:
    """``gc.freeze()`` once per process (True the first time): call after the model has loaded."""
    global _FROZEN
    if _FROZEN:
        return False
    gc.freeze()
    _FROZEN = True
    return True


def install() -> None:
    """Make Rasa use the cached validator, event class look-up and kept sessions (idempotent)."""
    if getattr(RemoteAction, _MARK, False):
        return
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_class)
    EndpointConfig.session = kept_endpoint_session
    setattr(RemoteAction, _MARK, True)
