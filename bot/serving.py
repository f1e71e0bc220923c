"""Per-message cost of the Rasa server that is not ours to change in Rasa's code, cut at start-up.

Rasa 3.6 validates every action server response with ``jsonschema.validate``, which first checks
the (large, constant) response schema against its meta-schema and compiles a new validator: about
10 ms of CPU in the event loop per custom action on this machine, more than NLU and the policies
together. :func:`install` replaces that with one validator compiled once per process. The response
is still validated against the same schema and an invalid response raises the same
``jsonschema.ValidationError`` with Rasa's explanation appended.

Loading a tracker looks up each stored event's class by walking every ``Event`` subclass (about
30 classes, ~40 events per conversation): :func:`install` remembers the class found per type name.

:func:`install` is called when the Rasa server builds its tracker store
(:class:`bot.tracker_store.SettingsTrackerStore`, named in ``endpoints.yml``), so it runs in the
Rasa server only, once per worker process, before the first message. It is idempotent.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Optional, Type

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

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


def install() -> None:
    """Make Rasa use the cached validator and event class look-up (idempotent)."""
    if getattr(RemoteAction, _MARK, False):
        return
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_class)
    setattr(RemoteAction, _MARK, True)
