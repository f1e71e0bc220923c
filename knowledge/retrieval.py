"""The one search entry point: ``from knowledge import search``.

The backend is chosen on first use and cached: Elasticsearch when ``ELASTICSEARCH_URL`` is set
(falling back to the embedded index if the cluster fails), the embedded index otherwise.
Tests swap it with ``set_backend`` / ``reset_backend``.
"""

from __future__ import annotations

import os
import threading
from typing import List, Optional

from knowledge.catalog import default_catalog
from knowledge.hits import Hit, SearchBackend

_backend: Optional[SearchBackend] = None
_lock = threading.Lock()


_configured_url: Optional[str] = None


def configure(url: Optional[str]) -> None:
    """Set the Elasticsearch URL from the application's settings ("" or None: embedded index).

    ``knowledge`` does not import ``bot``: the processes that own the settings (action server,
    Rasa server, CLI) call this before the first search.
    """
    global _configured_url
    _configured_url = (url or "").strip()
    set_backend(None)


def elasticsearch_url(url: Optional[str] = None) -> Optional[str]:
    """The Elasticsearch URL to use, or None for the embedded index.

    An explicit ``url`` wins, then :func:`configure`'s ("" means: not configured); a standalone
    ``python -m knowledge`` without either reads ``ELASTICSEARCH_URL`` from the environment.
    """
    for candidate in (url, _configured_url):
        if candidate is not None:
            return candidate.strip() or None
    return (os.environ.get("ELASTICSEARCH_URL") or "").strip() or None


def create_backend(url: Optional[str] = None) -> SearchBackend:
    """A new backend for ``url`` (default: the configured one). Builds nothing yet."""
    from knowledge.embedded import EmbeddedBackend

    embedded = EmbeddedBackend()
    es_url = elasticsearch_url(url)
    if es_url is None:
        return embedded
    from knowledge.elastic import ElasticBackend

    return ElasticBackend.from_url(es_url, fallback=embedded)


def get_backend() -> SearchBackend:
    global _backend
    if _backend is None:
        with _lock:
            if _backend is None:
                _backend = create_backend()
    return _backend


def set_backend(backend: Optional[SearchBackend]) -> None:
    global _backend
    with _lock:
        _backend = backend


def reset_backend() -> None:
    """Forget the backend and the loaded catalog; the next search rebuilds both."""
    set_backend(None)
    default_catalog.cache_clear()


def search(query: str, k: int = 5) -> List[Hit]:
    """The k best sections for ``query``, best first."""
    return get_backend().search(query, k)
