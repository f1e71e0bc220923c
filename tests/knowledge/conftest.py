"""Fixtures for the knowledge tests: small catalogs written to tmp dirs with the real schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

from knowledge.catalog import Catalog, load_catalog
from tests.knowledge.factories import SMALL_SERVICES, write_catalog


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Callable[..., Path]:
    """Factory: write the given service dicts (default: the small catalog) and return the dir."""

    def make(services: List[Dict[str, Any]] | None = None) -> Path:
        return write_catalog(tmp_path / "services", SMALL_SERVICES if services is None else services)

    return make


@pytest.fixture
def small_catalog(catalog_dir: Callable[..., Path]) -> Catalog:
    return load_catalog(catalog_dir())
