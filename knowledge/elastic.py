"""Elasticsearch backend (Elasticsearch 8.x, official ``elasticsearch`` 8.x Python client).

Documents are analysed by ``knowledge.analysis`` in Python; the index stores those tokens in
``whitespace``-analysed text fields, one per entry of ``analysis.FIELDS``, each with its own BM25
similarity (k1, b). A query is a ``bool``/``should`` of per-field ``match`` queries carrying the
field boosts, so Elasticsearch scores exactly like the embedded index (same tokens, Lucene's BM25,
one shard so idf is global).

Re-indexing never shows a half index: documents go into a new timestamped index
(``<alias>-YYYYmmddHHMMSSffffff``), which is refreshed, then the alias moves from the old index
to the new one in a single ``update_aliases`` call, then the old index is deleted.

Searching falls back to the embedded index with a logged warning when the cluster is
unreachable or answers with an error; after a failure the cluster is left alone for
``retry_after`` seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from elasticsearch.helpers import streaming_bulk

from knowledge.analysis import FIELDS, Lexicon, inspect_query
from knowledge.catalog import Catalog, default_catalog
from knowledge.documents import SectionDoc, build_lexicon
from knowledge.embedded import DEFAULT_CACHE_DIR
from knowledge.hits import Hit, SearchBackend
from knowledge.sections import RERANK_POOL, SectionClassifier, load_classifier, rerank

log = logging.getLogger(__name__)

DEFAULT_ALIAS = "knowledge-sections"
REQUEST_TIMEOUT_S = 2.0
RETRY_AFTER_S = 30.0
SOURCE_FIELDS = ["service_id", "service_no", "section", "text"]


class IndexingError(RuntimeError):
    """Re-indexing failed; the alias still points at the previous index."""


def similarity_name(field: str) -> str:
    return f"bm25_{field}"


def index_body() -> Dict[str, Any]:
    """Settings and mappings of a knowledge index (``indices.create(**index_body())``)."""
    similarity = {
        similarity_name(name): {"type": "BM25", "k1": spec.k1, "b": spec.b} for name, spec in FIELDS.items()
    }
    properties: Dict[str, Any] = {
        "service_id": {"type": "keyword"},
        "service_no": {"type": "integer"},
        "section": {"type": "keyword"},
        "text": {"type": "text", "index": False},
    }
    for name in FIELDS:
        properties[name] = {
            "type": "text",
            "analyzer": "whitespace",
            "search_analyzer": "whitespace",
            "similarity": similarity_name(name),
            "norms": True,
        }
    return {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0, "index": {"similarity": similarity}},
        "mappings": {"dynamic": "strict", "properties": properties},
    }


def build_query(tokens: Sequence[str]) -> Dict[str, Any]:
    """The ``query`` clause: one boosted ``match`` per field over the same analysed tokens."""
    text = " ".join(tokens)
    return {
        "bool": {
            "should": [
                {"match": {name: {"query": text, "boost": spec.boost, "operator": "or"}}}
                for name, spec in FIELDS.items()
            ]
        }
    }


def document_source(doc: SectionDoc) -> Dict[str, Any]:
    source: Dict[str, Any] = {
        "service_id": doc.service_id,
        "service_no": doc.service_no,
        "section": doc.section,
        "text": doc.text,
    }
    for name in FIELDS:
        source[name] = " ".join(doc.fields.get(name, ()))
    return source


def bulk_actions(index: str, docs: Iterable[SectionDoc]) -> Iterator[Dict[str, Any]]:
    for doc in docs:
        yield {"_op_type": "index", "_index": index, "_id": doc.doc_id, "_source": document_source(doc)}


def make_client(url: str) -> Elasticsearch:
    return Elasticsearch(url, request_timeout=REQUEST_TIMEOUT_S, max_retries=1, retry_on_timeout=False)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ElasticIndexer:
    """Builds a fresh index and swaps the alias to it atomically."""

    def __init__(
        self, client: Elasticsearch, alias: str = DEFAULT_ALIAS, clock: Callable[[], dt.datetime] = _utc_now
    ) -> None:
        self.client = client
        self.alias = alias
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, alias: str = DEFAULT_ALIAS) -> ElasticIndexer:
        return cls(make_client(url), alias)

    def new_index_name(self) -> str:
        return f"{self.alias}-{self._clock().strftime('%Y%m%d%H%M%S%f')}"

    def current_indices(self) -> List[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body.keys())
        except NotFoundError:
            return []

    def reindex(self, docs: Sequence[SectionDoc], progress: Optional[Callable[[int], Any]] = None) -> str:
        """Index ``docs`` into a new index and point the alias at it; return the new index name."""
        new = self.new_index_name()
        try:
            self.client.indices.create(index=new, **index_body())
        except (ApiError, TransportError) as exc:
            raise IndexingError(f"could not create index {new}: {exc}") from exc
        try:
            self._bulk(new, docs, progress)
            self.client.indices.refresh(index=new)
            old = self.current_indices()
            actions: List[Mapping[str, Any]] = [
                {"remove": {"index": name, "alias": self.alias}} for name in old
            ]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self.client.indices.update_aliases(actions=actions)
        except BaseException as exc:
            self._drop(new)
            if isinstance(exc, IndexingError):
                raise
            if isinstance(exc, (ApiError, TransportError)):
                raise IndexingError(
                    f"re-indexing into {new} failed, alias {self.alias} unchanged: {exc}"
                ) from exc
            raise
        for name in old:
            self._drop(name)
        return new

    def _bulk(self, index: str, docs: Sequence[SectionDoc], progress: Optional[Callable[[int], Any]]) -> None:
        failed: List[str] = []
        for ok, item in streaming_bulk(
            self.client,
            bulk_actions(index, docs),
            raise_on_error=False,
            raise_on_exception=False,
            chunk_size=500,
        ):
            if not ok:
                result: Dict[str, Any] = next(iter(item.values()), {})
                failed.append(
                    f"{result.get('_id', '?')}: {result.get('error', result.get('status', 'unknown error'))}"
                )
            if progress is not None:
                progress(1)
        if failed:
            for line in failed:
                log.error("bulk indexing failed for %s", line)
            shown = "; ".join(failed[:5]) + (f"; … {len(failed) - 5} more" if len(failed) > 5 else "")
            raise IndexingError(
                f"{len(failed)} of {len(docs)} documents failed to index into {index}: {shown}"
            )

    def _drop(self, index: str) -> None:
        try:
            self.client.indices.delete(index=index)
        except (ApiError, TransportError) as exc:
            log.warning("could not delete index %s: %s", index, exc)


class ElasticBackend:
    """Searches the alias; falls back to ``fallback`` (the embedded index) on any cluster failure."""

    name = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        fallback: SearchBackend,
        alias: str = DEFAULT_ALIAS,
        catalog: Optional[Callable[[], Catalog]] = None,
        retry_after: float = RETRY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
        cache_dir: Optional[Path] = DEFAULT_CACHE_DIR,
    ) -> None:
        self.client = client
        self.fallback = fallback
        self.alias = alias
        self._catalog = catalog or default_catalog
        self._lexicon: Optional[Lexicon] = None
        self._cache_dir = cache_dir
        self._sections: Optional[SectionClassifier] = None
        self._sections_loaded = False
        self._lock = threading.Lock()
        self._retry_after = retry_after
        self._clock = clock
        self._down_until = 0.0

    @classmethod
    def from_url(cls, url: str, fallback: SearchBackend, alias: str = DEFAULT_ALIAS) -> ElasticBackend:
        return cls(make_client(url), fallback=fallback, alias=alias)

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            with self._lock:
                if self._lexicon is None:
                    self._lexicon = build_lexicon(self._catalog())
        return self._lexicon

    @property
    def sections(self) -> Optional[SectionClassifier]:
        """The section classifier (the same one the embedded index uses), loaded on first use."""
        if not self._sections_loaded:
            lexicon = self.lexicon
            with self._lock:
                if not self._sections_loaded:
                    self._sections = load_classifier(lexicon, self._cache_dir)
                    self._sections_loaded = True
        return self._sections

    def search(self, query: str, k: int = 5) -> List[Hit]:
        if not query.strip():
            return []
        if self._clock() < self._down_until:
            return self.fallback.search(query, k)
        try:
            return self._search(query, k)
        except (ApiError, TransportError, KeyError, TypeError, ValueError) as exc:
            self._down_until = self._clock() + self._retry_after
            log.warning(
                "Elasticsearch search failed (%s: %s); using the embedded index for %.0f s",
                type(exc).__name__,
                exc,
                self._retry_after,
            )
            return self.fallback.search(query, k)

    def _search(self, query: str, k: int) -> List[Hit]:
        analysis = inspect_query(query, self.lexicon)
        response = self.client.search(
            index=self.alias,
            query=build_query(analysis.tokens),
            size=max(k, RERANK_POOL),  # re-ranked below, like the embedded index's candidates
            source_includes=SOURCE_FIELDS,
            track_total_hits=False,
        )
        hits = []
        for item in response["hits"]["hits"]:
            source = item["_source"]
            hits.append(
                Hit(
                    service_id=source["service_id"],
                    service_no=int(source["service_no"]),
                    section=source["section"],
                    text=source["text"],
                    score=float(item["_score"]),
                )
            )
        return rerank(analysis, hits, k, self.sections)
