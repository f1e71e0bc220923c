"""Tell subscribed conversations when a dossier's status changes.

:func:`notify_pending` is the one place that sends: it finds active subscriptions whose dossier
status differs from the status last notified, calls the :class:`Notifier`, and records the status
on success — so a change is announced once, and a failed send is retried by the next import/poll.
The default notifier asks Rasa to run the conversation's ``EXTERNAL_dossier_status_changed``
intent on the channel the citizen used (Rasa's ``trigger_intent`` HTTP API).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import httpx

from bot.dossiers.privacy import conversation_tag
from bot.dossiers.records import DossierRecord
from bot.dossiers.render import DEFAULT_CONTACTS, Contacts, DossierView, render_change
from bot.dossiers.statuses import DossierStatus
from bot.dossiers.store import DossierStore

logger = logging.getLogger(__name__)

STATUS_CHANGED_INTENT = "EXTERNAL_dossier_status_changed"


@dataclass(frozen=True)
class Subscription:
    id: int
    conversation_id: str
    channel: str
    dossier_code: str


class Notifier(Protocol):
    def notify(
        self,
        subscription: Subscription,
        dossier: DossierRecord,
        old_status: DossierStatus | None,
        new_status: DossierStatus,
        message_vi: str,
    ) -> bool:
        """Deliver the change; ``True`` when the channel accepted it."""
        ...


class RasaTriggerIntentNotifier:
    """``POST {rasa_url}/conversations/{sender}/trigger_intent?output_channel=<channel>``.

    Entities ``dossier_code`` and ``status`` (the status slug) fill the domain's slots; the domain's
    response or action for the intent words the message (``message_vi`` is not sent: Rasa renders
    the reply).
    """

    def __init__(self, rasa_url: str, *, token: str | None = None, timeout: float = 5.0) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def notify(
        self,
        subscription: Subscription,
        dossier: DossierRecord,
        old_status: DossierStatus | None,
        new_status: DossierStatus,
        message_vi: str,
    ) -> bool:
        url = f"{self.rasa_url}/conversations/{quote(subscription.conversation_id, safe='')}/trigger_intent"
        params = {"output_channel": subscription.channel}
        if self.token:
            params["token"] = self.token
        body = {
            "name": STATUS_CHANGED_INTENT,
            "entities": {"dossier_code": dossier.code, "status": new_status.value},
        }
        try:
            response = httpx.post(url, params=params, json=body, timeout=self.timeout)
        except httpx.HTTPError as exc:
            logger.warning(
                "dossier notification to Rasa failed (%s) for conversation %s; check RASA_URL",
                type(exc).__name__,
                conversation_tag(subscription.conversation_id),
            )
            return False
        if response.status_code >= 300:
            logger.warning(
                "Rasa answered %d to trigger_intent for conversation %s%s",
                response.status_code,
                conversation_tag(subscription.conversation_id),
                " (check RASA_API_TOKEN)" if response.status_code in (401, 403) else "",
            )
            return False
        return True


@dataclass
class NotifyReport:
    sent: int = 0
    failed: int = 0


def notify_pending(
    store: DossierStore, notifier: Notifier, contacts: Contacts = DEFAULT_CONTACTS
) -> NotifyReport:
    report = NotifyReport()
    for row, record in store.pending_notifications():
        subscription = Subscription(row["id"], row["conversation_id"], row["channel"], row["dossier_code"])
        old = DossierStatus(row["last_notified_status"]) if row["last_notified_status"] else None
        message = render_change(DossierView.from_record(record), contacts)
        try:
            delivered = notifier.notify(subscription, record, old, record.status, message)
        except Exception:
            logger.exception("notifier raised for subscription %d", subscription.id)
            delivered = False
        if delivered:
            store.mark_notified(subscription.id, record.status)
            report.sent += 1
        else:
            report.failed += 1
    return report
