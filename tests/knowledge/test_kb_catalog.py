"""Schema and cross-file rules of the service files; the real catalog loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from knowledge.catalog import CatalogError, load_catalog
from tests.knowledge.factories import SMALL_SERVICES, service_dict


def _variant(**changes: Any) -> List[Dict[str, Any]]:
    first = dict(SMALL_SERVICES[0])
    first.update(changes)
    return [first, *SMALL_SERVICES[1:]]


def test_small_catalog_loads(catalog_dir: Callable[..., Path]) -> None:
    catalog = load_catalog(catalog_dir())
    assert [s.number for s in catalog.services] == [4, 12, 20]


def test_missing_required_field(catalog_dir: Callable[..., Path]) -> None:
    services = _variant()
    del services[0]["fee"]
    with pytest.raises(CatalogError, match="fee"):
        load_catalog(catalog_dir(services))


def test_fact_without_source(catalog_dir: Callable[..., Path]) -> None:
    fee = {"items": ["Nộp trực tuyến: 7.000 đồng/lần."], "sources": [], "checked": "2026-11-01"}
    with pytest.raises(CatalogError, match="source"):
        load_catalog(catalog_dir(_variant(fee=fee)))


def test_malformed_date(catalog_dir: Callable[..., Path]) -> None:
    who = {"items": ["Công dân."], "sources": ["https://dichvucong.gov.vn/"], "checked": "31/12/2026"}
    with pytest.raises(CatalogError, match="checked"):
        load_catalog(catalog_dir(_variant(who=who)))


def test_duplicate_alias_across_services_folded(catalog_dir: Callable[..., Path]) -> None:
    services = [
        *SMALL_SERVICES,
        service_dict(5, "khai-bao-tam-vang", "Khai báo tạm vắng", ["TAM TRU", "vắng", "tv"]),
    ]
    with pytest.raises(CatalogError, match="tam tru"):
        load_catalog(catalog_dir(services))


def test_invalid_yaml(catalog_dir: Callable[..., Path]) -> None:
    directory = catalog_dir()
    (directory / "99-broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="invalid YAML"):
        load_catalog(directory)


def test_real_catalog_loads() -> None:
    catalog = load_catalog()
    assert catalog.services, "knowledge/services holds no service file"
    numbers = [s.number for s in catalog.services]
    assert numbers == sorted(set(numbers))
    assert catalog.by_id("dang-ky-thuong-tru").number == 3


def test_keywords_are_optional_may_repeat_and_must_be_nfc(catalog_dir: Callable[..., Path]) -> None:
    assert load_catalog(catalog_dir()).services[0].keywords == []
    shared = ["thuê trọ", "đi xa nhà"]
    services = [
        {**SMALL_SERVICES[0], "keywords": shared},
        {**SMALL_SERVICES[1], "keywords": shared},  # a situation may point at several services
        *SMALL_SERVICES[2:],
    ]
    assert load_catalog(catalog_dir(services)).services[1].keywords == shared
    nfd = "thue\u0302 tro\u0323"
    with pytest.raises(CatalogError, match="NFC"):
        load_catalog(catalog_dir(_variant(keywords=[nfd])))
    with pytest.raises(CatalogError, match="empty"):
        load_catalog(catalog_dir(_variant(keywords=[""])))
