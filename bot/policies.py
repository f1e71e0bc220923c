"""TED with its predictions remembered per dialogue state (``config.yml``: ``bot.policies.CachedTEDPolicy``).

Without end-to-end stories TED's prediction is a function of the last ``max_history`` dialogue
states only (intents, entity names, slot features, active loop, previous action): the same
states always give the same scores. Conversations here pass through few distinct states, so
after warm-up most predictions skip TensorFlow (~2 ms of CPU each, twice per message, in the
event loop). Training is TED's own. With end-to-end training data (user text in the states) the
cache is off and every prediction runs the model.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Dict, List, Optional

from rasa.core.featurizers.precomputation import MessageContainerForCoreFeaturization
from rasa.core.policies.policy import PolicyPrediction, SupportedData
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

CACHE_SIZE = 4096


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True)
class CachedTEDPolicy(TEDPolicy):
    """:class:`TEDPolicy` that reuses its prediction for dialogue states it has already scored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._predictions: OrderedDict[str, PolicyPrediction] = OrderedDict()

    def _state_key(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: Optional[Dict[str, Any]]
    ) -> Optional[str]:
        """The states TED featurizes, as a string; None when the cache cannot be used."""
        if self.model is None or TEXT in self.fake_features:
            return None
        ml_only = self.supported_data() == SupportedData.ML_DATA
        states = self.featurizer.prediction_states(
            [tracker],
            domain,
            use_text_for_last_user_input=self.only_e2e,
            ignore_rule_only_turns=ml_only,
            rule_only_data=rule_only_data,
            ignore_action_unlikely_intent=ml_only,
        )
        return json.dumps(states, sort_keys=True, default=list)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        precomputations: Optional[MessageContainerForCoreFeaturization] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        key = self._state_key(tracker, domain, rule_only_data)
        cached = self._predictions.get(key) if key is not None else None
        if cached is not None:
            self._predictions.move_to_end(key)  # type: ignore[arg-type]
            return _copy(cached)
        prediction = super().predict_action_probabilities(
            tracker, domain, rule_only_data=rule_only_data, precomputations=precomputations, **kwargs
        )
        if key is not None and not prediction.optional_events:
            self._predictions[key] = _copy(prediction)
            if len(self._predictions) > CACHE_SIZE:
                self._predictions.popitem(last=False)
        return prediction


def _copy(prediction: PolicyPrediction) -> PolicyPrediction:
    """A prediction the ensemble may change without touching the cached one."""
    probabilities: List[float] = list(prediction.probabilities)
    return PolicyPrediction(
        probabilities,
        prediction.policy_name,
        prediction.policy_priority,
        list(prediction.events),
        list(prediction.optional_events),
        prediction.is_end_to_end_prediction,
        prediction.is_no_user_prediction,
        prediction.diagnostic_data,
        prediction.hide_rule_turn,
        dict(prediction.action_metadata) if prediction.action_metadata else prediction.action_metadata,
    )
