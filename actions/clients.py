"""Clients the actions use, built lazily on first call (the action server imports every module)."""

from __future__ import annotations

from typing import List

from knowledge.catalog import Catalog, default_catalog
from knowledge.hits import Hit


def catalog() -> Catalog:
    return default_catalog()


def search(query: str, k: int) -> List[Hit]:
    from knowledge import search as knowledge_search

    return knowledge_search(query, k=k)


def hotline() -> str:
    from bot.settings import get_settings

    return get_settings().hotline_number
