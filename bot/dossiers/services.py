"""Which knowledge-base service a dossier belongs to (``ma_dich_vu`` in exports)."""

from __future__ import annotations

import re

from knowledge.catalog import Catalog, default_catalog
from knowledge.schema import Service

_PROCEDURE_CODE = re.compile(r"^(\d\.\d{6})(?:\..*)?$")


def resolve_service(raw: str, catalog: Catalog | None = None) -> Service | None:
    """The service named by ``raw``: a service id, a Project 06 number 1–25, or a national
    procedure code (mã thủ tục) listed for the service; provincial suffixes
    (``1.004222.000.00.00.H26``) are accepted. ``None`` when nothing matches."""
    value = (raw or "").strip()
    if not value:
        return None
    catalog = catalog or default_catalog()
    service = catalog.get(value.lower())
    if service is not None:
        return service
    if value.isdigit():
        try:
            return catalog.by_number(int(value))
        except KeyError:
            return None
    match = _PROCEDURE_CODE.match(value)
    if match:
        return catalog.by_procedure_code(match.group(1))
    return None
