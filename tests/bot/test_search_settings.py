"""The knowledge backend follows settings: embedded by default, Elasticsearch when a URL is set."""

import pytest

from knowledge import retrieval
from knowledge.elastic import ElasticBackend
from knowledge.embedded import EmbeddedBackend


@pytest.fixture(autouse=True)
def _reset() -> None:
    yield
    retrieval._configured_url = None
    retrieval.reset_backend()


def test_configured_empty_url_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ELASTICSEARCH_URL", "http://127.0.0.1:9")
    retrieval.configure("")
    assert isinstance(retrieval.get_backend(), EmbeddedBackend)


def test_configured_url_means_elasticsearch_with_fallback() -> None:
    retrieval.configure("http://127.0.0.1:9")
    backend = retrieval.get_backend()
    assert isinstance(backend, ElasticBackend)
    # Nothing listens on port 9: the search falls back to the embedded index, never an error.
    hits = backend.search("lệ phí làm hộ chiếu", 3)
    assert hits and hits[0].service_id == "cap-ho-chieu"


def test_bot_search_reads_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import search as bot_search
    from bot import settings

    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    settings.get_settings.cache_clear()
    bot_search._configure.cache_clear()
    try:
        hits = bot_search.search("đăng ký tạm trú cần giấy tờ gì", 3)
        assert isinstance(retrieval.get_backend(), EmbeddedBackend)
        assert hits[0].service_id == "dang-ky-tam-tru"
    finally:
        settings.get_settings.cache_clear()
        bot_search._configure.cache_clear()
