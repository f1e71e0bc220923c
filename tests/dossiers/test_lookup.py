"""The conversation's API: verification, lockout, masking, outcomes and subscriptions."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.dossiers.csv_import import import_export
from bot.dossiers.lookup import DossierLookup, LookupOutcome, SubscribeOutcome
from bot.dossiers.providers import LocalStoreProvider, ProviderOutcome, ProviderResult
from bot.dossiers.store import DossierStore
from bot.dossiers.verification import VerificationGuard
from tests.dossiers.conftest import PEPPER, FakeClock, row, write_csv

CODE = "000.00.17.H26-230101-0001"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lookup(tmp_path: Path, engine: Engine, clock: FakeClock) -> DossierLookup:
    path = write_csv(
        tmp_path / "d.csv", [row(promised="2026-06-20"), row(code="H26.22-230101-0002", phone="0900001111")]
    )
    assert import_export(path, engine, pepper=PEPPER).imported
    store = DossierStore(engine)
    return DossierLookup(
        LocalStoreProvider(store),
        store,
        VerificationGuard(engine, clock=clock),
        today=lambda: dt.date(2026, 7, 1),
    )


def test_found_after_verification_shows_masked_answer(lookup: DossierLookup) -> None:
    result = lookup.lookup("mã hs 000.00.17.h26 230101 0001 nhé", "5678", "conv-1")
    assert result.outcome is LookupOutcome.FOUND and result.code == CODE
    assert result.dossier_view is not None and result.dossier_view.overdue
    text = result.message_vi
    assert "Đăng ký thường trú" in text and "Nguyễn V*** A**" in text
    assert "Văn An" not in text and "0912345678" not in text and "5678" not in text
    assert "01/01/2023" in text and "20/06/2026" in text and "quá hạn" in text


def test_wrong_digits_then_lock_for_an_hour(
    lookup: DossierLookup, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.dossiers.verification")
    lefts = []
    for digits in ["1111", "2222", "3333", "4444"]:
        result = lookup.lookup(CODE, digits, "conv-attacker")
        assert result.outcome is LookupOutcome.WRONG_DIGITS
        assert result.dossier_view is None and "Nguyễn" not in result.message_vi
        lefts.append(result.attempts_left)
        clock.advance(minutes=5)
    assert lefts == [4, 3, 2, 1]
    fifth = lookup.lookup("H26.22-230101-0002", "5555", "conv-attacker")
    assert fifth.outcome is LookupOutcome.LOCKED and fifth.attempts_left == 0
    # Locked even with the right digits, for the lock's hour; other conversations are not affected.
    clock.advance(minutes=59)
    assert lookup.lookup(CODE, "5678", "conv-attacker").outcome is LookupOutcome.LOCKED
    assert lookup.lookup(CODE, "5678", "conv-other").outcome is LookupOutcome.FOUND
    clock.advance(minutes=2)
    assert lookup.lookup(CODE, "5678", "conv-attacker").outcome is LookupOutcome.FOUND
    # The digits typed never reach the logs; the conversation id is hashed.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "failures_in_window=5" in logged
    for digits in ["1111", "2222", "3333", "4444", "5555", "conv-attacker"]:
        assert digits not in logged


def test_failures_spread_over_more_than_an_hour_do_not_lock(lookup: DossierLookup, clock: FakeClock) -> None:
    for _ in range(8):
        assert lookup.lookup(CODE, "0000", "conv-slow").outcome is LookupOutcome.WRONG_DIGITS
        clock.advance(minutes=16)
    assert lookup.lookup(CODE, "5678", "conv-slow").outcome is LookupOutcome.FOUND


def test_not_four_digits_is_asked_again_without_counting(lookup: DossierLookup) -> None:
    for _ in range(6):
        result = lookup.lookup(CODE, "12", "conv-typo")
        assert result.outcome is LookupOutcome.INVALID_DIGITS
    assert lookup.lookup(CODE, "5678", "conv-typo").outcome is LookupOutcome.FOUND


def test_unknown_and_invalid_codes_say_how_to_check(lookup: DossierLookup) -> None:
    unknown = lookup.lookup("H26.22-230101-0099", "5678", "c")
    assert unknown.outcome is LookupOutcome.NOT_FOUND
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in unknown.message_vi
    assert "Dịch vụ công của tôi" in unknown.message_vi and "https://dichvucong.gov.vn/" in unknown.message_vi
    invalid = lookup.lookup("0912345678", "5678", "c")
    assert invalid.outcome is LookupOutcome.INVALID_CODE and invalid.code is None
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in invalid.message_vi


class _DownProvider:
    def fetch(self, code: str) -> ProviderResult:
        return ProviderResult(ProviderOutcome.UNAVAILABLE, detail="HTTP 503")


class _RaisingProvider:
    def fetch(self, code: str) -> ProviderResult:
        raise RuntimeError("boom")


@pytest.mark.parametrize("provider", [_DownProvider(), _RaisingProvider()])
def test_provider_down_suggests_later_or_hotline(engine: Engine, provider: object) -> None:
    store = DossierStore(engine)
    lookup = DossierLookup(provider, store, VerificationGuard(engine))  # type: ignore[arg-type]
    result = lookup.lookup(CODE, "5678", "c")
    assert result.outcome is LookupOutcome.UNAVAILABLE
    assert "18001096" in result.message_vi and "thử lại" in result.message_vi
    assert "boom" not in result.message_vi and "503" not in result.message_vi


def test_subscribe_needs_verification_and_is_idempotent(lookup: DossierLookup, engine: Engine) -> None:
    assert lookup.subscribe("conv-1", "telegram", CODE).outcome is SubscribeOutcome.NOT_VERIFIED
    assert lookup.lookup(CODE, "5678", "conv-1").outcome is LookupOutcome.FOUND
    assert lookup.subscribe("conv-2", "telegram", CODE).outcome is SubscribeOutcome.NOT_VERIFIED
    first = lookup.subscribe("conv-1", "telegram", CODE)
    assert first.outcome is SubscribeOutcome.SUBSCRIBED and CODE in first.message_vi
    assert lookup.subscribe("conv-1", "telegram", CODE.lower()).outcome is SubscribeOutcome.ALREADY_SUBSCRIBED
    assert lookup.subscribe("conv-1", "telegram", "xyz").outcome is SubscribeOutcome.INVALID_CODE
    store = DossierStore(engine)
    assert store.subscribed_codes() == [CODE]
    assert store.pending_notifications() == []  # nothing to say until the status changes
