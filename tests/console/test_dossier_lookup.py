"""Staff dossier look-up: full detail without verification, every look-up in the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any, AsyncIterator

import pytest
from sqlalchemy.engine import Engine

from bot.console.audit import DOSSIER_LOOKUP
from bot.console.dossier_lookup import DossierLookup
from bot.console.services import ConsoleServices
from bot.dossiers.providers import LocalStoreProvider
from bot.dossiers.records import DossierRecord
from bot.dossiers.statuses import DossierStatus
from bot.dossiers.store import DossierStore
from tests.console.helpers import CHEAP, ConsoleClient, client_for, console_app

CODE = "000.00.17.H26-230101-0001"


@pytest.fixture
def dossier_services(engine: Engine) -> ConsoleServices:
    store = DossierStore(engine)
    store.upsert(
        [
            DossierRecord(
                code=CODE,
                status=DossierStatus.SUPPLEMENT_REQUIRED,
                service_id="cap-doi-cap-lai-the-can-cuoc",
                applicant_name="Trần Thị Bình",
                phone_last4="5678",
                received_on=dt.date(2023, 1, 1),
                promised_on=dt.date(2023, 1, 10),
                agency="Công an xã Mỹ Hào",
                supplement="Ảnh chân dung mới",
            )
        ],
        source="test",
    )
    services = ConsoleServices.build(engine, params=CHEAP)
    services._dossiers = DossierLookup(services.audit, LocalStoreProvider(store).fetch, store.history)
    services.staff.add("Nguyễn Lan", "mật-khẩu-đủ-dài-2026")
    return services


@pytest.fixture
async def client(dossier_services: ConsoleServices) -> AsyncIterator[ConsoleClient]:
    async for console in client_for(console_app(dossier_services)):
        await console.login()
        yield console


async def test_staff_see_full_detail_and_every_lookup_is_audited(
    client: ConsoleClient, dossier_services: ConsoleServices
) -> None:
    found = await client.post(
        "/webhooks/console/api/dossiers/lookup", json={"code": CODE.lower().replace(".", " ")}
    )
    assert found.status_code == 200
    detail: dict[str, Any] = found.json()["detail"]
    assert detail["applicant_name"] == "Trần Thị Bình"  # unmasked, no verification asked
    assert detail["status_name"] == "Yêu cầu bổ sung giấy tờ" and detail["supplement"] == "Ảnh chân dung mới"
    assert detail["service_name"] == "Cấp đổi, cấp lại thẻ căn cước" and detail["phone_last4"] == "5678"
    assert detail["history"] and detail["history"][0]["new_status"] == "supplement_required"

    missing = await client.post(
        "/webhooks/console/api/dossiers/lookup", json={"code": "000.00.17.H26-230101-0002"}
    )
    assert missing.status_code == 404 and "Không tìm thấy" in missing.json()["message"]
    invalid = await client.post("/webhooks/console/api/dossiers/lookup", json={"code": "0912345678"})
    assert invalid.status_code == 400 and invalid.json()["outcome"] == "invalid_code"

    audit = dossier_services.audit.recent()
    assert [(a.staff_name, a.action, a.subject, a.outcome) for a in reversed(audit)] == [
        ("Nguyễn Lan", DOSSIER_LOOKUP, CODE, "found"),
        ("Nguyễn Lan", DOSSIER_LOOKUP, "000.00.17.H26-230101-0002", "not_found"),
        ("Nguyễn Lan", DOSSIER_LOOKUP, "(mã không hợp lệ)", "invalid_code"),
    ]
    assert all(a.at.tzinfo is not None for a in audit)


def test_unavailable_provider_is_an_outcome_and_still_audited(dossier_services: ConsoleServices) -> None:
    class Down:
        outcome, record, detail = "unavailable", None, "timeout"

    lookup = DossierLookup(dossier_services.audit, lambda code: Down(), lambda code: [])
    result = lookup.lookup("Minh", CODE)
    assert result.outcome == "unavailable" and "thử lại" in result.message
    assert dossier_services.audit.recent(1)[0].outcome == "unavailable"
