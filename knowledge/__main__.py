"""Knowledge base CLI: ``python -m knowledge {index,search,check}``.

* ``index`` — build the search index: the embedded one (cached under ``var/``), and the
  Elasticsearch one when ``ELASTICSEARCH_URL`` is configured (new index, atomic alias swap).
* ``search "câu hỏi" [-k N] [--json]`` — the best sections, best first (``--json``: one object
  per line).
* ``check`` — coverage table (service × field: ✓ filled, — gap); exits 1 on an invalid catalog.
* ``nlu-data OUT`` — write the Rasa lookup table and synonyms for the ``service`` entity.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional, Sequence, TextIO

from knowledge.catalog import Catalog, CatalogError, default_catalog, load_catalog
from knowledge.schema import SECTION_NAMES, Service

FILLED = "✓"
GAP = "—"


def coverage_rows(catalog: Catalog) -> List[List[str]]:
    """Header + one row per service: number, id, one mark per section, number of faqs."""
    rows = [["no", "service", *SECTION_NAMES, "faq"]]
    for service in catalog.services:
        marks = [GAP if getattr(service, name).is_gap else FILLED for name in SECTION_NAMES]
        rows.append([str(service.number), service.id, *marks, str(len(service.faq))])
    return rows


def print_table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n"
        )


def cmd_check(args: argparse.Namespace) -> int:
    try:
        catalog = load_catalog(args.services) if args.services else default_catalog()
    except CatalogError as exc:
        print(f"invalid catalog:\n{exc}", file=sys.stderr)
        return 1
    print_table(coverage_rows(catalog), sys.stdout)
    services: Sequence[Service] = catalog.services
    gaps = sum(getattr(s, name).is_gap for s in services for name in SECTION_NAMES)
    print(f"{len(services)} services, {gaps} gap{'' if gaps == 1 else 's'}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from knowledge import search

    hits = search(args.query, k=args.k)
    for hit in hits:
        if args.json:
            record = {
                "service_id": hit.service_id,
                "service_no": hit.service_no,
                "section": hit.section,
                "score": round(hit.score, 4),
                "text": hit.text,
            }
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"{hit.score:8.2f}  {hit.service_no:>2} {hit.service_id}  [{hit.section}]")
            for line in (hit.text or "(chưa có thông tin đã kiểm chứng)").splitlines():
                print(f"            {line}")
    if not hits and not args.json:
        print("no result", file=sys.stderr)
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from knowledge.embedded import DEFAULT_CACHE_DIR, EmbeddedIndex
    from knowledge.retrieval import elasticsearch_url

    try:
        catalog = default_catalog()
    except CatalogError as exc:
        print(f"invalid catalog:\n{exc}", file=sys.stderr)
        return 1
    with tqdm(total=len(catalog.services), unit="service", desc="embedded") as bar:
        index = EmbeddedIndex.build(catalog, DEFAULT_CACHE_DIR, progress=bar.update)
        bar.update(bar.total - bar.n)  # a cache hit analyses nothing
    print(f"embedded index: {len(index.docs)} documents from {len(catalog.services)} services")
    url = elasticsearch_url(args.url)
    if url is None:
        return 0
    from knowledge.elastic import ElasticIndexer, IndexingError

    docs = index.docs
    try:
        with tqdm(total=len(docs), unit="doc", desc="elasticsearch") as bar:
            name = ElasticIndexer.from_url(url).reindex(docs, progress=bar.update)
    except IndexingError as exc:
        print(f"elasticsearch indexing failed: {exc}", file=sys.stderr)
        return 1
    print(f"elasticsearch: alias now points at {name}")
    return 0


def cmd_nlu_data(args: argparse.Namespace) -> int:
    from knowledge.nlu_export import render_nlu_data

    try:
        catalog = default_catalog()
    except CatalogError as exc:
        print(f"invalid catalog:\n{exc}", file=sys.stderr)
        return 1
    args.out.write_text(render_nlu_data(catalog), encoding="utf-8")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="Knowledge base tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    index = commands.add_parser("index", help="build the search index")
    index.add_argument("--url", help="Elasticsearch URL (default: ELASTICSEARCH_URL)")
    index.set_defaults(func=cmd_index)
    search = commands.add_parser("search", help="search the knowledge base")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5, help="number of results (default 5)")
    search.add_argument("--json", action="store_true", help="one JSON object per line")
    search.set_defaults(func=cmd_search)
    check = commands.add_parser("check", help="validate the catalog and print its coverage")
    check.add_argument("--services", type=Path, help="catalog directory (default: knowledge/services)")
    check.set_defaults(func=cmd_check)
    nlu_data = commands.add_parser("nlu-data", help="write the service lookup table and synonyms for Rasa")
    nlu_data.add_argument("out", type=Path)
    nlu_data.set_defaults(func=cmd_nlu_data)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
