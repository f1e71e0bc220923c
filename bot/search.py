"""Knowledge search configured from settings (Elasticsearch when ELASTICSEARCH_URL is set)."""

from __future__ import annotations

from functools import lru_cache
from typing import List

from knowledge.hits import Hit


@lru_cache(maxsize=1)
def _configure() -> None:
    from bot.settings import get_settings
    from knowledge.retrieval import configure

    configure(get_settings().elasticsearch_url)


def search(query: str, k: int = 5) -> List[Hit]:
    """``knowledge.search`` on the backend named by settings (configured on first use)."""
    from knowledge import search as knowledge_search

    _configure()
    return knowledge_search(query, k=k)
