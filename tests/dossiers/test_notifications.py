"""Status changes reach subscribers once, through Rasa's trigger_intent API (a local stub Rasa)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import List, Tuple

import pytest
from sqlalchemy.engine import Engine

from bot.dossiers.csv_import import import_export
from bot.dossiers.http_provider import HttpOneStopShopProvider
from bot.dossiers.lookup import DossierLookup, LookupOutcome, SubscribeOutcome
from bot.dossiers.notifications import RasaTriggerIntentNotifier, Subscription, notify_pending
from bot.dossiers.poll import poll_subscribed
from bot.dossiers.providers import LocalStoreProvider
from bot.dossiers.records import DossierRecord
from bot.dossiers.statuses import DossierStatus
from bot.dossiers.store import DossierStore
from bot.dossiers.verification import VerificationGuard
from tests.conftest import free_port
from tests.dossiers.conftest import PEPPER, row, write_csv
from tests.dossiers.http_stub import Answer, StubServer

CODE = "000.00.17.H26-230101-0001"
SENDER = "tg:12345"
TRIGGER = f"/conversations/{SENDER.replace(':', '%3A')}/trigger_intent"


def _subscribe(engine: Engine, tmp_path: Path, provider: object | None = None) -> DossierLookup:
    store = DossierStore(engine)
    lookup = DossierLookup(provider or LocalStoreProvider(store), store, VerificationGuard(engine))  # type: ignore[arg-type]
    assert lookup.lookup(CODE, "5678", SENDER).outcome is LookupOutcome.FOUND
    assert lookup.subscribe(SENDER, "telegram", CODE).outcome is SubscribeOutcome.SUBSCRIBED
    return lookup


def test_import_change_triggers_rasa_once(tmp_path: Path, engine: Engine) -> None:
    import_export(write_csv(tmp_path / "v1.csv", [row()]), engine, pepper=PEPPER)
    _subscribe(engine, tmp_path)
    store = DossierStore(engine)
    with StubServer({TRIGGER: [Answer(200, {"tracker": {}})]}) as rasa:
        notifier = RasaTriggerIntentNotifier(rasa.url, token="t0k", timeout=2)
        assert notify_pending(store, notifier).sent == 0  # subscribing is not a change
        import_export(write_csv(tmp_path / "v2.csv", [row(status="Đã xử lý xong")]), engine, pepper=PEPPER)
        report = notify_pending(store, notifier)
        assert (report.sent, report.failed) == (1, 0)
        assert notify_pending(store, notifier).sent == 0  # never twice
        import_export(tmp_path / "v2.csv", engine, pepper=PEPPER)  # re-import: no change
        assert notify_pending(store, notifier).sent == 0
    assert len(rasa.requests) == 1
    request = rasa.requests[0]
    assert request.method == "POST"
    assert request.path.startswith(TRIGGER + "?")
    assert "output_channel=telegram" in request.path and "token=t0k" in request.path
    assert json.loads(request.body) == {
        "name": "EXTERNAL_dossier_status_changed",
        "entities": {"dossier_code": CODE, "status": "result_ready"},
    }
    # result_ready is final: the subscription ends.
    assert store.subscribed_codes() == []


def test_failed_delivery_is_retried_later(tmp_path: Path, engine: Engine) -> None:
    import_export(write_csv(tmp_path / "v1.csv", [row()]), engine, pepper=PEPPER)
    _subscribe(engine, tmp_path)
    import_export(write_csv(tmp_path / "v2.csv", [row(status="Chờ bổ sung")]), engine, pepper=PEPPER)
    store = DossierStore(engine)
    down = RasaTriggerIntentNotifier(f"http://127.0.0.1:{free_port()}", timeout=1)
    assert notify_pending(store, down).failed == 1
    with StubServer({TRIGGER: [Answer(500, {}), Answer(200, {})]}) as rasa:
        notifier = RasaTriggerIntentNotifier(rasa.url, timeout=2)
        assert notify_pending(store, notifier).failed == 1
        assert notify_pending(store, notifier).sent == 1
        assert notify_pending(store, notifier).sent == 0
    assert store.subscribed_codes() == [CODE]  # supplement_required is not final


class _Recorder:
    def __init__(self) -> None:
        self.calls: List[Tuple[Subscription, DossierStatus | None, DossierStatus, str]] = []

    def notify(
        self,
        subscription: Subscription,
        dossier: DossierRecord,
        old_status: DossierStatus | None,
        new_status: DossierStatus,
        message_vi: str,
    ) -> bool:
        self.calls.append((subscription, old_status, new_status, message_vi))
        return True


def test_poll_refreshes_subscribed_dossiers_from_the_http_provider(engine: Engine, tmp_path: Path) -> None:
    api_path = f"/dossiers/{CODE}"
    doc = {"ma_ho_so": CODE, "ma_dich_vu": "3", "so_dien_thoai": "0912345678", "ngay_tiep_nhan": "2023-01-01"}
    with StubServer({api_path: [Answer(200, {**doc, "trang_thai": "Đang xử lý"})]}) as api:
        provider = HttpOneStopShopProvider(api.url, pepper=PEPPER, timeout=2, backoff=0)
        _subscribe(engine, tmp_path, provider)
        store = DossierStore(engine)
        assert store.get(CODE) is not None  # subscribing stored the dossier for later comparison
        recorder = _Recorder()
        unchanged = poll_subscribed(store, provider, recorder)
        assert unchanged.checked == 1 and unchanged.upsert.unchanged == 1 and recorder.calls == []
        api.script[api_path] = [
            Answer(200, {**doc, "trang_thai": "Yêu cầu bổ sung giấy tờ", "noi_dung_bo_sung": "Ảnh 4x6"})
        ]
        report = poll_subscribed(store, provider, recorder)
    assert report.upsert.updated == 1 and report.notified.sent == 1
    ((subscription, old, new, message),) = recorder.calls
    assert subscription.conversation_id == SENDER and subscription.channel == "telegram"
    assert (old, new) == (DossierStatus.PROCESSING, DossierStatus.SUPPLEMENT_REQUIRED)
    assert CODE in message and "Ảnh 4x6" in message and "Nguyễn" not in message
    history = store.history(CODE)
    assert [(h[0], h[1], h[3]) for h in history] == [
        (None, "processing", "subscribe"),
        ("processing", "supplement_required", "poll"),
    ]


def test_poll_counts_unavailable_and_not_found(engine: Engine) -> None:
    store = DossierStore(engine)
    store.subscribe("c", "telegram", CODE, None)
    store.subscribe("c", "telegram", "H26.22-230101-0002", None)
    with StubServer({f"/dossiers/{CODE}": [Answer(503, {})]}) as api:
        provider = HttpOneStopShopProvider(api.url, pepper=PEPPER, timeout=2, retries=0)
        report = poll_subscribed(store, provider, None)
    assert (report.checked, report.unavailable, report.not_found) == (2, 1, 1)


@pytest.mark.parametrize("status", [None])
def test_pending_includes_never_notified(engine: Engine, status: None) -> None:
    store = DossierStore(engine)
    store.upsert(
        [DossierRecord(code=CODE, status=DossierStatus.RECEIVED, received_on=dt.date(2026, 1, 1))],
        source="import",
    )
    store.subscribe("c", "zalo", CODE, status)
    assert [sub["channel"] for sub, _ in store.pending_notifications()] == ["zalo"]
