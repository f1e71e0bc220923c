"""Clients the actions use, built lazily on first call (the action server imports every module)."""

from __future__ import annotations

from typing import List

from knowledge.catalog import Catalog, default_catalog
from knowledge.hits import Hit


def catalog() -> Catalog:
    return default_catalog()


def search(query: str, k: int) -> List[Hit]:
    from bot.search import search as configured_search

    return configured_search(query, k)


def hotline() -> str:
    from bot.settings import get_settings

    return get_settings().hotline_number
