"""CachedTEDPolicy gives exactly TED's predictions, and skips the model for states it has scored."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, List

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.graph_components.providers.rule_only_provider import RuleOnlyDataProvider
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.policies import CachedTEDPolicy
from tests.conftest import ActionServer

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("kept_sessions_closed")]

CONVERSATION = [
    "xin chào",
    "lệ phí đăng ký thường trú bao nhiêu",
    "cần giấy tờ gì",
    "tra cứu hồ sơ",
    "thôi",
    "cảm ơn",
]


def _node_component(agent: Agent, kind: type) -> Any:
    runner = agent.processor.graph_runner  # type: ignore[union-attr]
    for node in runner._instantiated_nodes.values():
        if isinstance(node._component, kind):
            return node._component
    raise AssertionError(f"no {kind.__name__} in the model's graph")


@pytest.fixture(scope="module")
def agent(model_path: Path, action_server: ActionServer) -> Agent:
    return Agent.load(str(model_path), action_endpoint=EndpointConfig(action_server.url))


async def _trackers(agent: Agent) -> List[DialogueStateTracker]:
    """The conversation as it stood before each action: the points where policies predict."""
    sender = f"ted-cache-{uuid.uuid4().hex}"
    for text in CONVERSATION:
        await agent.handle_text(text, sender_id=sender)
    tracker = await agent.tracker_store.retrieve(sender)
    assert tracker is not None and agent.domain is not None
    events = list(tracker.events)
    return [
        DialogueStateTracker.from_events(sender, events[:i], slots=agent.domain.slots)
        for i in range(1, len(events))
        if isinstance(events[i], ActionExecuted)
    ]


async def test_cached_predictions_equal_teds(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = _node_component(agent, TEDPolicy)
    assert isinstance(policy, CachedTEDPolicy), "config.yml names bot.policies.CachedTEDPolicy"
    rule_only_data = _node_component(agent, RuleOnlyDataProvider).provide()
    domain = agent.domain
    assert domain is not None
    trackers = await _trackers(agent)
    assert len(trackers) >= 12
    policy._predictions.clear()
    for tracker in trackers:
        expected = TEDPolicy.predict_action_probabilities(policy, tracker, domain, rule_only_data)
        first = policy.predict_action_probabilities(tracker, domain, rule_only_data)
        assert first.probabilities == expected.probabilities
        assert first.policy_name == expected.policy_name
    assert 0 < len(policy._predictions) <= len(trackers)

    # Every state is cached now: the model must not run again, and the answers are the same.
    def no_model(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("TED's model ran for a cached state")

    monkeypatch.setattr(policy.model, "run_inference", no_model)
    for tracker in trackers:
        again = policy.predict_action_probabilities(tracker, domain, rule_only_data)
        key = policy._state_key(tracker, domain, rule_only_data)
        assert key is not None
        assert again.probabilities == policy._predictions[key].probabilities
        again.probabilities[0] = -1.0  # callers may change a prediction …
        assert policy.predict_action_probabilities(tracker, domain, rule_only_data).probabilities[0] != -1.0
