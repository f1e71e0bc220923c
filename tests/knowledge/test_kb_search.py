"""Embedded search: the right service and section for handwritten questions; backend plumbing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

import knowledge
from knowledge.analysis import FieldSpec
from knowledge.catalog import Catalog
from knowledge.embedded import BM25Index, EmbeddedBackend, EmbeddedIndex
from knowledge.hits import Hit
from knowledge.retrieval import create_backend, elasticsearch_url
from knowledge.schema import SECTION_NAMES
from tests.knowledge.factories import real_services


@pytest.fixture(scope="module")
def real_index() -> EmbeddedIndex:
    return EmbeddedIndex.build(real_services())


@pytest.fixture
def use_backend() -> Iterator[None]:
    yield
    knowledge.reset_backend()


# (question, service id, section). Service 3 is always there; the rest run when their file exists.
QUESTIONS = [
    ("Đăng ký thường trú hết bao nhiêu tiền?", "dang-ky-thuong-tru", "fee"),
    ("dang ky thuong tru het bao nhieu tien", "dang-ky-thuong-tru", "fee"),
    ("dk thường trú bn tiền vậy ad", "dang-ky-thuong-tru", "fee"),
    ("Nhập hộ khẩu mất mấy ngày?", "dang-ky-thuong-tru", "processing_time"),
    ("nhap ho khau mat may ngay", "dang-ky-thuong-tru", "processing_time"),
    ("Cơ quan nào giải quyết đăng ký thường trú?", "dang-ky-thuong-tru", "agency"),
    ("co quan nao giai quyet dang ky thuong tru", "dang-ky-thuong-tru", "agency"),
    ("Ai được đăng ký thường trú?", "dang-ky-thuong-tru", "who"),
    ("Căn cứ pháp lý của thủ tục đăng ký thường trú", "dang-ky-thuong-tru", "legal_basis"),
    ("Các bước đăng ký thường trú trên VNeID", "dang-ky-thuong-tru", "online_steps"),
    ("Sổ hộ khẩu giấy còn dùng được không?", "dang-ky-thuong-tru", "faq:0|overview"),
    # An eligibility question: the "who" section comes before the frequent question that restates it.
    ("Ở nhà thuê có nhập hộ khẩu được không", "dang-ky-thuong-tru", "who"),
    ("Xin lý lịch tư pháp hết bao nhiêu tiền?", "cap-phieu-ly-lich-tu-phap", "fee"),
    ("doi bang lai xe mat bao lau", "cap-doi-giay-phep-lai-xe", "processing_time"),
    # Stories naming two services: the one wished for, or named in the question, is asked about.
    (
        "Tôi muốn nhập hộ khẩu cho con về nhà bà ngoại, vậy có cần mang giấy khai sinh bản chính không",
        "dang-ky-thuong-tru",
        "documents",
    ),
    (
        "Nhà tôi mới mua đất, sổ đỏ đã sang tên, giờ muốn xin cấp điện cho nhà mới xây thì mất bao lâu",
        "cap-dien-moi",
        "processing_time",
    ),
    (
        "sổ hồng còn ghi số chứng minh cũ thì cập nhật mất bao lâu",
        "dang-ky-bien-dong-dat-dai",
        "processing_time",
    ),
    # A second service named as a paper the first one needs.
    ("làm hộ chiếu cần căn cước không", "cap-ho-chieu", "documents"),
    ("sang tên hợp đồng điện cần sổ hồng không", "thay-doi-chu-the-hop-dong-dien", "documents"),
]


@pytest.mark.parametrize(("question", "service_id", "section"), QUESTIONS)
def test_real_catalog_questions(
    real_index: EmbeddedIndex, question: str, service_id: str, section: str
) -> None:
    if not any(s.id == service_id for s in real_services().services):
        pytest.skip(f"knowledge/services has no {service_id} file yet")
    hits = real_index.search(question, 3)
    assert hits, question
    assert hits[0].service_id == service_id, hits
    assert hits[0].section in section.split("|"), hits


def test_hits_shape_and_order(real_index: EmbeddedIndex) -> None:
    hits = real_index.search("đăng ký thường trú cần giấy tờ gì", 5)
    assert len(hits) == 5
    assert all(isinstance(h, Hit) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    valid = set(SECTION_NAMES)
    assert all(h.section in valid or h.section.startswith("faq:") for h in hits)
    top = hits[0]
    assert top.service_no == 3 and top.section == "documents"
    assert "Tờ khai thay đổi thông tin cư trú (mẫu CT01) (tờ khai, 1 bản)" in top.text.splitlines()
    with pytest.raises(AttributeError):
        top.score = 0.0  # type: ignore[misc]


def test_gap_section_is_found_with_empty_text(small_catalog: Catalog) -> None:
    index = EmbeddedIndex.build(small_catalog)
    hit = index.search("làm hộ chiếu hết bao nhiêu tiền", 1)[0]
    assert (hit.service_id, hit.section, hit.text) == ("cap-ho-chieu", "fee", "")


def test_small_catalog_service_and_section(small_catalog: Catalog) -> None:
    index = EmbeddedIndex.build(small_catalog)
    assert index.search("gia han bang lai het bao nhieu tien", 1)[0].service_id == "cap-doi-giay-phep-lai-xe"
    top = index.search("kt3 mất mấy ngày", 1)[0]
    assert (top.service_id, top.section) == ("dang-ky-tam-tru", "processing_time")
    assert index.search("", 3) == [] and index.search("xyzzy qwerty", 3) == []


def test_k_limits_results(small_catalog: Catalog) -> None:
    index = EmbeddedIndex.build(small_catalog)
    assert len(index.search("hộ chiếu", 2)) == 2
    assert index.search("hộ chiếu", 0) == []


def test_bm25_prefers_rarer_term_and_shorter_doc() -> None:
    docs = [{"f": ["a", "b"]}, {"f": ["a", "c", "d", "e", "f", "g"]}, {"f": ["a"]}]
    bm25 = BM25Index(docs, {"f": FieldSpec(boost=1.0)})
    assert bm25.top(["b"], 3)[0][0] == 0
    scores = bm25.scores(["a"])
    assert scores[2] > scores[0] > scores[1] > 0


def test_cache_round_trip(small_catalog: Catalog, tmp_path: Path) -> None:
    built = EmbeddedIndex.build(small_catalog, cache_dir=tmp_path)
    files = list(tmp_path.glob("index-*.json"))
    assert len(files) == 1
    json.loads(files[0].read_text(encoding="utf-8"))
    loaded = EmbeddedIndex.build(small_catalog, cache_dir=tmp_path)
    assert loaded.docs == built.docs
    assert loaded.lexicon == built.lexicon  # cached too: loading needs no word segmenter
    assert len(list(tmp_path.glob("sections-*.npz"))) == 1  # the section classifier's weights
    assert loaded.search("hộ chiếu ở đâu", 3) == built.search("hộ chiếu ở đâu", 3)


def test_set_and_reset_backend(small_catalog: Catalog, use_backend: None) -> None:
    class Fixed:
        name = "fixed"

        def search(self, query: str, k: int = 5) -> List[Hit]:
            return [Hit("x", 1, "fee", query, 1.0)]

    knowledge.set_backend(Fixed())
    assert knowledge.search("abc") == [Hit("x", 1, "fee", "abc", 1.0)]
    knowledge.set_backend(EmbeddedBackend(lambda: small_catalog, cache_dir=None))
    assert knowledge.search("passport", 1)[0].service_id == "cap-ho-chieu"
    knowledge.reset_backend()
    assert knowledge.get_backend() is knowledge.get_backend()


def test_backend_choice_from_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge import retrieval

    # Other suites configure the backend from settings (bot.search); start unconfigured here.
    monkeypatch.setattr(retrieval, "_configured_url", None)
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    assert elasticsearch_url() is None
    assert create_backend().name == "embedded"
    assert create_backend("http://127.0.0.1:9").name == "elasticsearch"
    monkeypatch.setenv("ELASTICSEARCH_URL", "http://es:9200")
    assert elasticsearch_url() == "http://es:9200"
    assert elasticsearch_url("") is None


def test_import_does_no_work() -> None:
    code = (
        "import sys, knowledge; from knowledge import search, Hit; "
        "print(sorted(m for m in ('underthesea', 'scipy', 'elasticsearch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
