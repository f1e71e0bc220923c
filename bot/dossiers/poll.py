"""Refresh subscribed dossiers from a provider (the HTTP API), record changes, notify."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.dossiers.notifications import Notifier, NotifyReport, notify_pending
from bot.dossiers.providers import DossierProvider, ProviderOutcome
from bot.dossiers.records import DossierRecord
from bot.dossiers.render import DEFAULT_CONTACTS, Contacts
from bot.dossiers.store import DossierStore, UpsertReport

logger = logging.getLogger(__name__)


@dataclass
class PollReport:
    checked: int = 0
    not_found: int = 0
    unavailable: int = 0
    upsert: UpsertReport = field(default_factory=UpsertReport)
    notified: NotifyReport = field(default_factory=NotifyReport)


def poll_subscribed(
    store: DossierStore,
    provider: DossierProvider,
    notifier: Notifier | None,
    contacts: Contacts = DEFAULT_CONTACTS,
) -> PollReport:
    report = PollReport()
    records: list[DossierRecord] = []
    for code in store.subscribed_codes():
        report.checked += 1
        result = provider.fetch(code)
        if result.outcome is ProviderOutcome.FOUND and result.record is not None:
            records.append(result.record)
        elif result.outcome is ProviderOutcome.NOT_FOUND:
            report.not_found += 1
            logger.warning("subscribed dossier %s is no longer known to the provider", code)
        else:
            report.unavailable += 1
    if records:
        report.upsert = store.upsert(records, source="poll")
    if notifier is not None:
        report.notified = notify_pending(store, notifier, contacts)
    return report
