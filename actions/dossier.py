"""Dossier status conversation: code → last 4 phone digits → status; subscribe to changes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

FORM = "dossier_form"
_DIGIT_RUN_RE = re.compile(r"\d+")


def last_four_digits(text: str) -> str:
    """The 4 digits the citizen meant.

    A whole phone number ("0912 346 789") gives its last four; otherwise the last run of exactly
    four ("4 số cuối là 6789" → "6789"); otherwise every digit typed ("6 7 8 9" → "6789"), which
    the lookup rejects unless it is four.
    """
    runs = _DIGIT_RUN_RE.findall(text)
    joined = "".join(runs)
    if len(joined) >= 9:
        return joined[-4:]
    four = [run for run in runs if len(run) == 4]
    return four[-1] if four else joined


@lru_cache(maxsize=1)
def lookup_client() -> Any:
    from bot.dossiers.factory import build_lookup

    return build_lookup()


def _requested(tracker: Tracker) -> Optional[str]:
    return tracker.get_slot("requested_slot") if tracker.active_loop_name == FORM else None


class ValidateDossierForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_form"

    async def extract_dossier_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        from bot.dossiers.codes import find_dossier_codes

        if tracker.get_slot("dossier_code") and _requested(tracker) != "dossier_code":
            return {}
        codes = find_dossier_codes(tracker.latest_message.get("text") or "")
        if codes:
            return {"dossier_code": codes[0]}
        if _requested(tracker) == "dossier_code":
            dispatcher.utter_message(response="utter_dossier_code_not_recognised")
        return {}

    async def extract_phone_last4(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if _requested(tracker) != "phone_last4":
            return {}
        return {"phone_last4": tracker.latest_message.get("text") or ""}

    async def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Verify the digits right away, so that a wrong answer is asked again inside the form."""
        from bot.dossiers.lookup import LookupOutcome

        if value is None or _requested(tracker) != "phone_last4":
            return {}  # a slot reset, not an answer
        digits = last_four_digits(str(value))
        result = lookup_client().lookup(tracker.get_slot("dossier_code") or "", digits, tracker.sender_id)
        if result.outcome in (LookupOutcome.WRONG_DIGITS, LookupOutcome.INVALID_DIGITS):
            dispatcher.utter_message(text=result.message_vi)
            return {"phone_last4": None}
        # Never keep the digits in the conversation's slots: only the verdict.
        verdict = "verified" if result.outcome == LookupOutcome.FOUND else "stopped"
        return {"phone_last4": verdict, "dossier_result": result.message_vi}


class ActionShowDossierResult(Action):
    def name(self) -> str:
        return "action_show_dossier_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        result = tracker.get_slot("dossier_result")
        verified = tracker.get_slot("phone_last4") == "verified"
        if result:
            buttons = (
                [
                    {"title": "Báo cho tôi khi có thay đổi", "payload": "/subscribe_dossier"},
                    {"title": "Tra cứu hồ sơ khác", "payload": "/menu_check_dossier"},
                ]
                if verified
                else [{"title": "Gặp tổng đài viên", "payload": "/menu_talk_to_human"}]
            )
            dispatcher.utter_message(text=result, buttons=buttons)
        return [SlotSet("phone_last4", None), SlotSet("dossier_result", None)]


class ActionStartDossierLookup(Action):
    """A new lookup starts clean (a code typed in the same message is extracted again)."""

    def name(self) -> str:
        return "action_start_dossier_lookup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        return [SlotSet("dossier_code", None), SlotSet("phone_last4", None), SlotSet("dossier_result", None)]


class ActionSubscribeDossier(Action):
    def name(self) -> str:
        return "action_subscribe_dossier"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from bot.dossiers.codes import find_dossier_codes

        typed = find_dossier_codes(tracker.latest_message.get("text") or "")
        code = typed[0] if typed else tracker.get_slot("dossier_code")
        if not code:
            dispatcher.utter_message(response="utter_subscribe_needs_lookup")
            return []
        channel = tracker.get_latest_input_channel() or "rest"
        result = lookup_client().subscribe(tracker.sender_id, channel, code)
        dispatcher.utter_message(text=result.message_vi)
        return []


class ActionNotifyDossierStatus(Action):
    """Runs when the dossier system reports a change (intent EXTERNAL_dossier_status_changed)."""

    def name(self) -> str:
        return "action_notify_dossier_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from bot.dossiers.render import DossierView, render_change

        code = next(
            (
                e.get("value")
                for e in tracker.latest_message.get("entities", [])
                if e.get("entity") == "dossier_code"
            ),
            None,
        )
        record = lookup_client().store.get(str(code)) if code else None
        if record is None:
            return []
        dispatcher.utter_message(
            text=render_change(DossierView.from_record(record), lookup_client().contacts)
        )
        return []
