"""Answer procedure questions from the knowledge base (thin: slots → guide → messages)."""

from __future__ import annotations

from typing import List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients import catalog, hotline, search
from knowledge.guide import GuideResult, answer_question

INTENT_ASPECT = {
    "ask_overview": "overview",
    "ask_documents": "documents",
    "ask_fee": "fee",
    "ask_processing_time": "processing_time",
    "ask_how_to_file": "how_to_file",
    "ask_eligibility": "eligibility",
    "ask_legal_basis": "legal_basis",
    "ask_law_status": "law_status",
}


def named_service(tracker: Tracker) -> Optional[str]:
    """The service named in the latest message (the longest mention), else the remembered one."""
    mentions = [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == "service"]
    if mentions:
        best = max(mentions, key=lambda e: int(e.get("end", 0)) - int(e.get("start", 0)))
        return str(best["value"])
    slot = tracker.get_slot("service")
    return str(slot) if slot else None


def utter_result(
    dispatcher: CollectingDispatcher, result: GuideResult, nothing_found: str
) -> List[EventType]:
    """Map the guide's outcome to messages; an answer remembers its service for follow-ups."""
    if result.outcome == "answered" and result.answer:
        dispatcher.utter_message(text=result.answer.text, buttons=result.answer.buttons)
        return [SlotSet("service", result.answer.service_id)]
    if result.outcome == "choose_service":
        dispatcher.utter_message(response="utter_choose_service", buttons=result.buttons)
        return []
    dispatcher.utter_message(response=nothing_found)
    return []


class ActionAnswerServiceQuestion(Action):
    def name(self) -> str:
        return "action_answer_service_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        aspect = INTENT_ASPECT.get(str(intent))
        text = tracker.latest_message.get("text") or ""
        result = answer_question(catalog(), search, text, aspect, named_service(tracker), hotline())
        return utter_result(dispatcher, result, nothing_found="utter_not_found")


class ActionSearchOrFallback(Action):
    """Low NLU confidence: answer from the knowledge base when search is confident, else the menu."""

    def name(self) -> str:
        return "action_search_or_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.active_loop_name:
            return []  # a form is asking for something; it asks again itself
        text = tracker.latest_message.get("text") or ""
        mentioned = [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == "service"]
        service_id = str(mentioned[0]["value"]) if mentioned else None
        result = answer_question(catalog(), search, text, None, service_id, hotline())
        return utter_result(dispatcher, result, nothing_found="utter_default")
