"""Elasticsearch backend against a local stub server speaking the ES 8 API (the real client runs)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Iterator, List

import pytest

from knowledge.analysis import FIELDS, inspect_query
from knowledge.catalog import Catalog
from knowledge.documents import SectionDoc, build_documents
from knowledge.elastic import (
    ElasticBackend,
    ElasticIndexer,
    IndexingError,
    build_query,
    document_source,
    index_body,
    make_client,
)
from knowledge.embedded import EmbeddedBackend, EmbeddedIndex
from knowledge.hits import Hit
from knowledge.sections import RERANK_POOL
from tests.knowledge.es_stub import StubServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with StubServer() as server:
        yield server


@pytest.fixture
def docs(small_catalog: Catalog) -> List[SectionDoc]:
    return build_documents(small_catalog)


def clock(*stamps: str):  # type: ignore[no-untyped-def]
    times = iter(dt.datetime.strptime(s, "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc) for s in stamps)
    return lambda: next(times)


def test_mapping_uses_whitespace_fields_with_per_field_bm25() -> None:
    body = index_body()
    props = body["mappings"]["properties"]
    assert body["settings"]["number_of_shards"] == 1
    for name, spec in FIELDS.items():
        assert props[name]["analyzer"] == props[name]["search_analyzer"] == "whitespace"
        similarity = body["settings"]["index"]["similarity"][props[name]["similarity"]]
        assert similarity == {"type": "BM25", "k1": spec.k1, "b": spec.b}
    assert props["service_id"]["type"] == props["section"]["type"] == "keyword"
    assert props["text"]["index"] is False


def test_query_has_one_boosted_match_per_field() -> None:
    query = build_query(["đăng_ký", "sec:fee"])
    should = query["bool"]["should"]
    assert {next(iter(c["match"])) for c in should} == set(FIELDS)
    for clause in should:
        ((field, spec),) = clause["match"].items()
        assert spec == {"query": "đăng_ký sec:fee", "boost": FIELDS[field].boost, "operator": "or"}


def test_documents_carry_the_same_tokens(docs: List[SectionDoc]) -> None:
    source = document_source(docs[0])
    for name in FIELDS:
        assert source[name].split() == docs[0].fields[name]
    assert docs[0].doc_id == "dang-ky-tam-tru:overview"


def test_reindex_swaps_alias_atomically(stub: StubServer, docs: List[SectionDoc]) -> None:
    indexer = ElasticIndexer(make_client(stub.url), "kb", clock=clock("20260101000000", "20260102000000"))
    first = indexer.reindex(docs)
    assert first == "kb-20260101000000000000"
    stub.cluster.requests.clear()
    second = indexer.reindex(docs)
    assert stub.cluster.calls() == [
        ("PUT", f"/{second}"),
        ("PUT", "/_bulk"),
        ("POST", f"/{second}/_refresh"),
        ("GET", "/_alias/kb"),
        ("POST", "/_aliases"),
        ("DELETE", f"/{first}"),
    ]
    aliases_call = next(body for _, path, body in stub.cluster.requests if path == "/_aliases")
    assert aliases_call["actions"] == [
        {"remove": {"index": first, "alias": "kb"}},
        {"add": {"index": second, "alias": "kb"}},
    ]
    assert list(stub.cluster.indices) == [second]
    stored = stub.cluster.indices[second]["docs"]
    assert set(stored) == {d.doc_id for d in docs}
    assert stub.cluster.indices[second]["body"]["mappings"] == index_body()["mappings"]


def test_bulk_failures_raise_and_keep_old_alias(stub: StubServer, docs: List[SectionDoc]) -> None:
    indexer = ElasticIndexer(make_client(stub.url), "kb", clock=clock("20260101000000", "20260102000000"))
    first = indexer.reindex(docs)
    stub.cluster.bulk_fail_ids = {docs[1].doc_id, docs[2].doc_id}
    with pytest.raises(IndexingError) as info:
        indexer.reindex(docs)
    message = str(info.value)
    assert f"2 of {len(docs)} documents failed" in message
    assert docs[1].doc_id in message and "mapper_parsing_exception" in message
    assert list(stub.cluster.indices) == [first]  # new index dropped, alias untouched
    assert stub.cluster.indices[first]["aliases"] == {"kb"}


def test_unreachable_cluster_reindex_is_a_clear_error(docs: List[SectionDoc]) -> None:
    with pytest.raises(IndexingError, match="could not create index"):
        ElasticIndexer(make_client("http://127.0.0.1:9"), "kb").reindex(docs)


def _fallback(catalog: Catalog) -> EmbeddedBackend:
    return EmbeddedBackend(lambda: catalog, cache_dir=None)


def test_search_reads_hits_and_sends_the_query(stub: StubServer, small_catalog: Catalog) -> None:
    stub.cluster.search_hits = [
        {
            "_id": "cap-ho-chieu:fee",
            "_score": 12.5,
            "_source": {"service_id": "cap-ho-chieu", "service_no": 12, "section": "fee", "text": ""},
        },
    ]
    backend = ElasticBackend(
        make_client(stub.url), _fallback(small_catalog), "kb", catalog=lambda: small_catalog, cache_dir=None
    )
    assert backend.search("hộ chiếu bao nhiêu tiền", 3) == [Hit("cap-ho-chieu", 12, "fee", "", 12.5)]
    _, path, body = stub.cluster.requests[-1]
    assert path == "/kb/_search" and body["size"] == RERANK_POOL  # candidates for the re-ranking
    tokens = body["query"]["bool"]["should"][0]["match"]["service"]["query"].split()
    assert "svc:cap-ho-chieu" in tokens and "sec:fee" in tokens


def test_search_reranks_candidates_like_the_embedded_index(stub: StubServer, small_catalog: Catalog) -> None:
    """Given the embedded index's own BM25 candidates, the cluster backend returns the same hits."""
    index = EmbeddedIndex.build(small_catalog)
    backend = ElasticBackend(
        make_client(stub.url), _fallback(small_catalog), "kb", catalog=lambda: small_catalog, cache_dir=None
    )
    for question in ("hộ chiếu bao nhiêu tiền", "tam tru nop o dau", "bằng lái có còn dùng được không"):
        analysis = inspect_query(question, index.lexicon)
        stub.cluster.search_hits = [
            {
                "_id": index.docs[i].doc_id,
                "_score": score,
                "_source": {
                    "service_id": index.docs[i].service_id,
                    "service_no": index.docs[i].service_no,
                    "section": index.docs[i].section,
                    "text": index.docs[i].text,
                },
            }
            for i, score in index.bm25.top(analysis.tokens, RERANK_POOL)
        ]
        assert backend.search(question, 3) == index.search(question, 3), question


def test_cluster_error_falls_back_with_warning(
    stub: StubServer, small_catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    stub.cluster.search_status = 503
    now = [100.0]
    backend = ElasticBackend(
        make_client(stub.url),
        _fallback(small_catalog),
        "kb",
        catalog=lambda: small_catalog,
        cache_dir=None,
        retry_after=30,
        clock=lambda: now[0],
    )
    with caplog.at_level(logging.WARNING, logger="knowledge.elastic"):
        hits = backend.search("passport", 1)
    assert hits[0].service_id == "cap-ho-chieu"  # from the embedded index
    assert "embedded index" in caplog.text
    searches = len([r for r in stub.cluster.requests if r[1].endswith("_search")])
    backend.search("passport", 1)  # within retry_after: the cluster is left alone
    assert len([r for r in stub.cluster.requests if r[1].endswith("_search")]) == searches
    now[0] += 31
    stub.cluster.search_status = 200
    assert backend.search("passport", 1) == []  # cluster back (stub returns no hits)


def test_unreachable_cluster_falls_back(small_catalog: Catalog) -> None:
    backend = ElasticBackend(
        make_client("http://127.0.0.1:9"),
        _fallback(small_catalog),
        "kb",
        catalog=lambda: small_catalog,
        cache_dir=None,
    )
    assert backend.search("bằng lái hết bao nhiêu tiền", 1)[0].service_id == "cap-doi-giay-phep-lai-xe"


@pytest.mark.elasticsearch
def test_real_cluster_round_trip(small_catalog: Catalog, docs: List[SectionDoc]) -> None:
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("no Elasticsearch cluster: set ELASTICSEARCH_URL to run this test")
    alias = "knowledge-test"
    indexer = ElasticIndexer(make_client(url), alias)
    name = indexer.reindex(docs)
    try:
        backend = ElasticBackend(
            make_client(url), _fallback(small_catalog), alias, catalog=lambda: small_catalog, cache_dir=None
        )
        embedded = _fallback(small_catalog)
        for question in ("hộ chiếu bao nhiêu tiền", "kt3 ở đâu", "doi bang lai mat may ngay"):
            es_hits = backend.search(question, 3)
            assert [(h.service_id, h.section) for h in es_hits][:1] == [
                (h.service_id, h.section) for h in embedded.search(question, 3)
            ][:1]
    finally:
        indexer.client.indices.delete(index=name)
