"""Record "hữu ích / chưa đúng" with the question and the answer it is about."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


def answered_exchange(events: List[Dict[str, Any]]) -> tuple[Optional[str], Optional[str]]:
    """The last bot answer before the feedback tap, and the user question before that answer."""
    answer: Optional[str] = None
    user_turns_seen = 0
    for event in reversed(events):
        if event.get("event") == "user":
            user_turns_seen += 1
            if answer is not None and user_turns_seen >= 2:
                return event.get("text"), answer
        elif event.get("event") == "bot" and user_turns_seen >= 1 and answer is None:
            answer = event.get("text")
    return None, answer


class ActionRecordFeedback(Action):
    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from bot.guidance.feedback import record_feedback

        intent = (tracker.latest_message.get("intent") or {}).get("name")
        rating = "helpful" if intent == "feedback_helpful" else "wrong"
        question, answer = answered_exchange(tracker.events)
        if answer:
            record_feedback(tracker.sender_id, rating, question or "", answer, tracker.get_slot("service"))
        return []
