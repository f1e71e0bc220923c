"""Answer matching of the end-to-end benchmark and its scoring by intent and service group."""

from __future__ import annotations

import unicodedata
from typing import Any, Dict, List

from bench.answers import Fact, judge, load_facts, reply_text, score, service_group


def test_reply_text_joins_texts_and_ignores_buttons_and_images() -> None:
    replies: List[Dict[str, Any]] = [
        {"text": "Lệ phí 35.000 đồng."},
        {"image": "x.png"},
        {"text": "Xem thêm", "buttons": [{"title": "7 ngày làm việc", "payload": "/x"}]},
    ]
    assert reply_text(replies) == "Lệ phí 35.000 đồng.\nXem thêm"


def test_judge_needs_every_string_nfc_case_insensitive() -> None:
    fact = Fact("hỏi?", "cap-ho-chieu", "ask_fee", ["200.000 đồng", "VNeID"])
    right = judge(fact, [{"text": unicodedata.normalize("NFD", "Lệ phí 200.000 ĐỒNG, nộp qua vneid")}])
    assert right.correct and right.missing == []
    wrong = judge(fact, [{"text": "Lệ phí 200.000 đồng"}])
    assert not wrong.correct and wrong.missing == ["VNeID"]
    assert not judge(fact, []).correct


def test_score_groups_by_intent_and_service_group() -> None:
    a = Fact("q1", "cap-ho-chieu", "ask_fee", ["x"])
    b = Fact("q2", "dang-ky-tam-tru", "ask_fee", ["y"])
    c = Fact("q3", "dang-ky-tam-tru", "ask_documents", ["z"])
    outcomes = [judge(a, [{"text": "x"}]), judge(b, [{"text": "no"}]), judge(c, [{"text": "z"}])]
    figures = score(outcomes)
    assert figures["overall"] == {"n": 3, "correct": 2, "accuracy": 2 / 3}
    assert figures["by_intent"]["ask_fee"]["correct"] == 1
    assert figures["by_group"]["identity & residence"] == {"n": 2, "correct": 1, "accuracy": 0.5}
    assert figures["misses"][0]["question"] == "q2" and figures["misses"][0]["missing"] == ["y"]


def test_every_answer_fact_names_a_known_service() -> None:
    facts = load_facts()
    assert len(facts) >= 100
    assert all(service_group(f.service) != "unknown service" for f in facts)
    assert service_group("no-such-service") == "unknown service"
