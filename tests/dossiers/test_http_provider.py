"""The HTTP one-stop-shop provider against a real local HTTP server."""

from __future__ import annotations

from typing import List

import pytest

from bot.dossiers.http_provider import HttpOneStopShopProvider
from bot.dossiers.providers import DossierProvider, ProviderOutcome
from bot.dossiers.statuses import DossierStatus
from tests.dossiers.http_stub import Answer, StubServer

CODE = "000.00.17.H26-230101-0001"
PATH = f"/api/hoso/{CODE}"
DOC = {
    "data": {
        "MaHoSo": CODE,
        "TrangThai": "Đã xử lý xong",
        "MaTTHC": "1.004222.000.00.00.H26",
        "ChuHoSo": {"HoTen": "Nguyễn Văn An", "SoDienThoai": "+84 912 345 678"},
        "NgayTiepNhan": "2023-01-01T08:00:00",
        "NgayHenTra": "10/01/2023",
        "NgayCapNhat": "2023-01-09T16:20:00Z",
        "CoQuan": "Công an xã Tân Lập",
        "HinhThucTra": "Nhận tại bộ phận một cửa",
    }
}
FIELD_MAP = {
    "ma_ho_so": "data.MaHoSo",
    "trang_thai": "data.TrangThai",
    "ma_dich_vu": "data.MaTTHC",
    "ten_nguoi_nop": "data.ChuHoSo.HoTen",
    "so_dien_thoai": "data.ChuHoSo.SoDienThoai",
    "ngay_tiep_nhan": "data.NgayTiepNhan",
    "ngay_hen_tra": "data.NgayHenTra",
    "ngay_cap_nhat": "data.NgayCapNhat",
    "co_quan_xu_ly": "data.CoQuan",
    "noi_tra_ket_qua": "data.HinhThucTra",
}


def _provider(url: str, sleeps: List[float] | None = None, **kwargs: object) -> HttpOneStopShopProvider:
    options = {
        "pepper": "p",
        "path": "/api/hoso/{code}",
        "auth_header": "X-Api-Key",
        "auth_value": "k-123",
        "timeout": 0.3,
        "retries": 2,
        "backoff": 0.01,
        "field_map": FIELD_MAP,
        **kwargs,
    }
    return HttpOneStopShopProvider(
        url,
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        **options,  # type: ignore[arg-type]
    )


def test_found_maps_fields_and_sends_the_auth_header() -> None:
    with StubServer({PATH: [Answer(200, DOC)]}) as server:
        provider = _provider(server.url)
        assert isinstance(provider, DossierProvider)
        result = provider.fetch(CODE)
    assert result.outcome is ProviderOutcome.FOUND and result.record is not None
    record = result.record
    assert record.status is DossierStatus.RESULT_READY and record.service_id == "dang-ky-thuong-tru"
    assert record.phone_last4 == "5678" and record.applicant_name == "Nguyễn Văn An"
    assert str(record.received_on) == "2023-01-01" and str(record.promised_on) == "2023-01-10"
    assert record.result_delivery == "Nhận tại bộ phận một cửa"
    assert server.requests[0].headers["X-Api-Key"] == "k-123"


def test_5xx_then_success_is_retried_with_exponential_backoff() -> None:
    sleeps: List[float] = []
    with StubServer({PATH: [Answer(503, {}), Answer(500, {}), Answer(200, DOC)]}) as server:
        result = _provider(server.url, sleeps, backoff=0.01).fetch(CODE)
    assert result.outcome is ProviderOutcome.FOUND
    assert len(server.requests) == 3
    assert sleeps == [0.01, 0.02]


def test_permanent_5xx_is_unavailable_after_all_retries() -> None:
    with StubServer({PATH: [Answer(502, "Bad Gateway")]}) as server:
        result = _provider(server.url, retries=3).fetch(CODE)
    assert result.outcome is ProviderOutcome.UNAVAILABLE and "502" in result.detail
    assert len(server.requests) == 4


def test_slow_answers_time_out_then_a_fast_one_is_used() -> None:
    with StubServer({PATH: [Answer(200, DOC, delay=0.6), Answer(200, DOC)]}) as server:
        result = _provider(server.url, timeout=0.2).fetch(CODE)
    assert result.outcome is ProviderOutcome.FOUND
    assert len(server.requests) == 2


def test_always_slow_is_unavailable() -> None:
    with StubServer({PATH: [Answer(200, DOC, delay=0.6)]}) as server:
        result = _provider(server.url, timeout=0.2, retries=1).fetch(CODE)
    assert result.outcome is ProviderOutcome.UNAVAILABLE and "timeout" in result.detail


def test_404_is_not_found_without_retry() -> None:
    with StubServer({}) as server:
        result = _provider(server.url).fetch(CODE)
    assert result.outcome is ProviderOutcome.NOT_FOUND
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        (Answer(200, "{not json"), "malformed JSON"),
        (Answer(200, "42"), "not an object"),
        (Answer(200, {"data": {"MaHoSo": CODE, "TrangThai": "???"}}), "DOSSIER_API_FIELD_MAP"),
        (Answer(200, {**DOC, "data": {**DOC["data"], "MaHoSo": "H26.22-230101-0002"}}), "another dossier"),
        (Answer(401, {}), "DOSSIER_API_AUTH"),
    ],
)
def test_bad_answers_are_unavailable(answer: Answer, detail: str) -> None:
    with StubServer({PATH: [answer]}) as server:
        result = _provider(server.url).fetch(CODE)
    assert result.outcome is ProviderOutcome.UNAVAILABLE and detail in result.detail


def test_connection_refused_is_unavailable() -> None:
    from tests.conftest import free_port

    result = _provider(f"http://127.0.0.1:{free_port()}").fetch(CODE)
    assert result.outcome is ProviderOutcome.UNAVAILABLE and "connection" in result.detail


def test_unknown_field_map_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="DOSSIER_API_FIELD_MAP"):
        _provider("http://127.0.0.1:1", field_map={"status": "x"})


def test_last_four_digits_only_and_flat_identity_map() -> None:
    flat = {"ma_ho_so": CODE, "trang_thai": 4, "so_dien_thoai": "5678", "ngay_tiep_nhan": "2023-01-01"}
    with StubServer({f"/dossiers/{CODE}": [Answer(200, flat)]}) as server:
        result = HttpOneStopShopProvider(server.url, pepper="p", timeout=1).fetch(CODE)
    assert result.record is not None
    assert result.record.status is DossierStatus.PROCESSING and result.record.phone_last4 == "5678"
    assert result.record.phone_hash is None and result.record.service_id is None
