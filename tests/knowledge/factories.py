"""Small service catalogs with the real schema, written to tmp dirs (helpers for the knowledge tests)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, List

import yaml

from knowledge.catalog import SERVICES_DIR, Catalog
from knowledge.schema import Service

SOURCE = "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh.html"
CHECKED = "2026-11-01"


def section(*items: str, **extra: Any) -> Dict[str, Any]:
    return {"items": list(items), "sources": [SOURCE] if items else [], "checked": CHECKED, **extra}


def service_dict(
    number: int, service_id: str, name: str, aliases: List[str], **overrides: Any
) -> Dict[str, Any]:
    """A valid service file as a dict; ``overrides`` replace top-level keys."""
    data: Dict[str, Any] = {
        "id": service_id,
        "number": number,
        "name": name,
        "short_name": name[:40],
        "procedure_codes": [],
        "aliases": aliases,
        "official_url": "https://dichvucong.gov.vn/",
        "linked_services": [],
        "overview": section(f"{name} là thủ tục hành chính thực hiện trực tuyến."),
        "who": section("Công dân Việt Nam."),
        "channels": section("Cổng Dịch vụ công quốc gia.", "Ứng dụng VNeID."),
        "documents": {
            "items": [{"name": "Tờ khai theo mẫu", "kind": "tờ khai", "count": 1}],
            "sources": [SOURCE],
            "checked": CHECKED,
        },
        "fee": section(),  # a gap
        "processing_time": section("05 ngày làm việc."),
        "agency": section("Công an cấp xã."),
        "online_steps": section("Đăng nhập VNeID.", "Chọn thủ tục và nộp hồ sơ."),
        "legal_basis": {
            "items": [{"number": "68/2020/QH14", "title": "Luật Cư trú", "date": "2020-11-13"}],
            "sources": [SOURCE],
            "checked": CHECKED,
        },
        "faq": [
            {
                "question": f"Câu hỏi {i} về {name}?",
                "answer": f"Trả lời {i}.",
                "sources": [SOURCE],
                "checked": CHECKED,
            }
            for i in range(5)
        ],
    }
    data.update(copy.deepcopy(overrides))
    return data


SMALL_SERVICES = [
    service_dict(
        4,
        "dang-ky-tam-tru",
        "Đăng ký tạm trú",
        ["tạm trú", "tam tru", "kt3", "đăng ký tạm trú cho người thuê trọ"],
        fee=section("Nộp trực tuyến: 7.000 đồng/lần."),
    ),
    service_dict(
        12,
        "cap-ho-chieu",
        "Cấp hộ chiếu phổ thông",
        ["hộ chiếu", "ho chieu", "passport", "làm hộ chiếu"],
        processing_time=section("08 ngày làm việc kể từ ngày nhận đủ hồ sơ."),
    ),
    service_dict(
        20,
        "cap-doi-giay-phep-lai-xe",
        "Cấp đổi giấy phép lái xe",
        ["gplx", "bằng lái", "bang lai", "giấy phép lái xe", "đổi bằng lái xe"],
        fee=section("Lệ phí đổi giấy phép lái xe trực tuyến: 115.000 đồng."),
    ),
]


def write_catalog(directory: Path, services: List[Dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for data in services:
        path = directory / f"{data['number']:02d}-{data['id']}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


def real_services() -> Catalog:
    """The service files that exist now, each validated by the schema, without cross-file checks

    (the other files are being written in parallel; ``test_real_catalog_loads`` covers those).
    """
    services = [
        Service.parse_obj(yaml.safe_load(p.read_text(encoding="utf-8")))
        for p in sorted(SERVICES_DIR.glob("*.yaml"))
    ]
    return Catalog(tuple(sorted(services, key=lambda s: s.number)))
