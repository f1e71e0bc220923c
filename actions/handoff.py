"""Hand the conversation to a hotline officer: queue it with its transcript and pause the bot."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

TRANSCRIPT_LINES = 50


def transcript(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The conversation so far as {"role", "text", "time"} lines, oldest first."""
    lines = [
        {"role": "user" if e["event"] == "user" else "bot", "text": e["text"], "time": e.get("timestamp")}
        for e in events
        if e.get("event") in ("user", "bot") and e.get("text")
    ]
    return lines[-TRANSCRIPT_LINES:]


def hotline_sentence() -> str:
    from bot.settings import get_settings

    settings = get_settings()
    hours = f" ({settings.hotline_hours})" if settings.hotline_hours else ""
    return f"Nếu cần gấp, bạn gọi tổng đài {settings.hotline_number}{hours}."


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from bot.console.handoff import HandoffUnavailable, request_handoff

        channel = tracker.get_latest_input_channel() or "rest"
        try:
            ticket = request_handoff(tracker.sender_id, channel, transcript(tracker.events))
        except HandoffUnavailable:
            dispatcher.utter_message(
                text="Xin lỗi, hiện tôi chưa chuyển được cuộc trò chuyện cho cán bộ. " + hotline_sentence()
            )
            return []
        dispatcher.utter_message(text=f"{ticket.citizen_notice} {hotline_sentence()}")
        return [ConversationPaused()]
