"""Subscribe to news and reminders, or stop them (consent is recorded by bot.outreach)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

_YEAR_RE = re.compile(r"\b(19\d{2}|20\d{2})\b")
ALL_TOPICS = "all"


def birth_year_in(text: str, today: Optional[dt.date] = None) -> Optional[int]:
    """A plausible birth year typed in the message ("tôi sinh năm 1990"), if any."""
    this_year = (today or dt.date.today()).year
    years = [int(y) for y in _YEAR_RE.findall(text) if 1900 <= int(y) <= this_year]
    return years[-1] if years else None


def entity_value(tracker: Tracker, name: str) -> Optional[str]:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def topic_buttons() -> List[Dict[str, str]]:
    from bot.outreach.topics import TOPICS

    buttons = [{"title": t.label, "payload": f'/choose_topic{{"topic":"{t.id}"}}'} for t in TOPICS]
    buttons.append({"title": "Nhận tất cả", "payload": f'/choose_topic{{"topic":"{ALL_TOPICS}"}}'})
    return buttons


def _channel(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


class ActionOfferSubscription(Action):
    def name(self) -> str:
        return "action_offer_subscription"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from bot.outreach.subscribers import CHANNELS

        if _channel(tracker) not in CHANNELS:
            dispatcher.utter_message(response="utter_subscribe_channel_needed")
            return []
        dispatcher.utter_message(response="utter_choose_topics", buttons=topic_buttons())
        # Remember what the citizen told us, to record it with the consent.
        events: List[EventType] = []
        year = birth_year_in(tracker.latest_message.get("text") or "")
        if year:
            events.append(SlotSet("birth_year", str(year)))
        for slot in ("province", "commune"):
            value = entity_value(tracker, slot)
            if value:
                events.append(SlotSet(f"subscriber_{slot}", value))
        return events


class ActionSubscribeTopic(Action):
    def name(self) -> str:
        return "action_subscribe_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from bot.outreach.subscribers import CHANNELS, current_topics, subscribe
        from bot.outreach.topics import TOPIC_IDS, TOPICS

        channel = _channel(tracker)
        if channel not in CHANNELS:
            dispatcher.utter_message(response="utter_subscribe_channel_needed")
            return []
        chosen = entity_value(tracker, "topic")
        if chosen is None or chosen == ALL_TOPICS or chosen not in TOPIC_IDS:
            topics = [t.id for t in TOPICS]
        else:
            # A tap adds a topic to those already chosen.
            topics = [*current_topics(channel, tracker.sender_id), chosen]
        year_slot: Any = tracker.get_slot("birth_year")
        result = subscribe(
            channel,
            tracker.sender_id,
            topics,
            province=tracker.get_slot("subscriber_province"),
            commune=tracker.get_slot("subscriber_commune"),
            birth_year=int(year_slot) if year_slot else None,
        )
        dispatcher.utter_message(text=result.message)
        return []


class ActionUnsubscribe(Action):
    def name(self) -> str:
        return "action_unsubscribe"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from bot.outreach.subscribers import CHANNELS, unsubscribe, unsubscribe_message

        channel = _channel(tracker)
        ended = unsubscribe(channel, tracker.sender_id) if channel in CHANNELS else False
        dispatcher.utter_message(text=unsubscribe_message(ended))
        return []
