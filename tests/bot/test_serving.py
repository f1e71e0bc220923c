"""Rasa validates action server responses with a cached validator: same verdicts, same errors."""

from __future__ import annotations

from typing import Any, Dict, List

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import serving

RESPONSES: List[Dict[str, Any]] = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "service", "value": "dang-ky-thuong-tru"}],
        "responses": [{"text": "Dạ"}],
    },
    {"events": [{"event": "followup", "name": "action_listen"}], "responses": [{"response": "utter_greet"}]},
    {"responses": [{"text": "Chỉ có câu trả lời"}]},
]
INVALID: List[Dict[str, Any]] = [
    {"events": [{"event": "slot"}], "responses": []},  # a slot event without a name
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["not an object"]},
]


def _rasa_verdict(result: Dict[str, Any]) -> str | None:
    """Rasa's own check: jsonschema.validate on the response schema (None when valid)."""
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return error.message
    return None


@pytest.fixture
def action() -> RemoteAction:
    serving.install()
    return RemoteAction("action_answer_service_question", None)


def test_install_replaces_the_validation_once() -> None:
    serving.install()
    first = RemoteAction._validate_action_result
    serving.install()
    assert RemoteAction._validate_action_result is first
    assert first is serving.validate_action_result


@pytest.mark.parametrize("result", RESPONSES)
def test_valid_responses_pass(action: RemoteAction, result: Dict[str, Any]) -> None:
    assert _rasa_verdict(result) is None
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_responses_fail_with_rasas_error(action: RemoteAction, result: Dict[str, Any]) -> None:
    expected = _rasa_verdict(result)
    assert expected is not None
    with pytest.raises(jsonschema.ValidationError) as raised:
        action._validate_action_result(result)
    assert raised.value.message.startswith(expected)
    assert "Failed to validate Action server response" in raised.value.message


def test_the_validator_is_compiled_once() -> None:
    assert serving.action_response_validator() is serving.action_response_validator()


def test_event_classes_are_resolved_as_rasa_does() -> None:
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    serving.install()
    for _ in range(2):  # the second time from the cache
        assert Event.resolve_by_type("slot") is SlotSet
        assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no_such_event", default=ActionExecuted) is ActionExecuted
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    restored = Event.from_parameters({"event": "slot", "name": "service", "value": "x"})
    assert isinstance(restored, SlotSet) and restored.value == "x"


async def test_action_server_calls_reuse_one_connection() -> None:
    """Rasa's ``EndpointConfig.request`` with installed serving: one TCP connection for many calls."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from tests.conftest import free_port

    peers: List[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        body = await request.json()
        return web.json_response({"events": [], "responses": [{"text": body["next_action"]}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    serving.install()
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
    try:
        answers = [await endpoint.request(json={"next_action": f"a{n}"}, method="post") for n in range(3)]
        assert [a["responses"][0]["text"] for a in answers] == ["a0", "a1", "a2"]
        assert len(peers) == 3 and len(set(peers)) == 1  # same client port: the connection was kept
        await serving.close_kept_sessions()
        await endpoint.request(json={"next_action": "a3"}, method="post")  # a new session after closing
        assert len(set(peers)) == 2
    finally:
        await serving.close_kept_sessions()
        await runner.cleanup()


def test_loaded_objects_are_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    monkeypatch.setattr(serving, "_FROZEN", False)
    gc.unfreeze()
    try:
        assert serving.freeze_loaded_objects() is True
        assert gc.get_freeze_count() > 1000
        assert serving.freeze_loaded_objects() is False
    finally:
        gc.unfreeze()
