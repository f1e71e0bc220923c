"""PhoATIS-layout benchmark: conversion (offsets, a#b labels), span metrics, a tiny end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Tuple

import pytest

from bench import phoatis
from bench.phoatis import DataError, Example, bio_spans, evaluate, read_dataset, span_prf, to_rasa_json

# (utterance syllables, BIO tags, intent) — 3 intents (one of them a#b), 2 slot types.
CITIES = ["hà nội", "đà nẵng", "huế", "cần thơ", "hải phòng", "vinh"]


def _tags(words: str, slot: str) -> List[str]:
    n = len(words.split())
    return [f"B-{slot}"] + [f"I-{slot}"] * (n - 1)


def tiny_rows() -> List[Tuple[str, str, str]]:
    rows = []
    for i, a in enumerate(CITIES):
        b = CITIES[(i + 1) % len(CITIES)]
        seq = f"tìm chuyến bay từ {a} đến {b}"
        tags = ["O"] * 4 + _tags(a, "fromloc") + ["O"] + _tags(b, "toloc")
        rows.append((seq, " ".join(tags), "flight"))
        seq = f"giá vé từ {a} đến {b} bao nhiêu"
        tags = ["O"] * 3 + _tags(a, "fromloc") + ["O"] + _tags(b, "toloc") + ["O", "O"]
        rows.append((seq, " ".join(tags), "airfare"))
        seq = f"chuyến bay và giá vé đi {b}"
        tags = ["O"] * 6 + _tags(b, "toloc")
        rows.append((seq, " ".join(tags), "flight#airfare"))
    return rows


def write_split(folder: Path, rows: List[Tuple[str, str, str]]) -> None:
    folder.mkdir(parents=True)
    (folder / "seq.in").write_text("\n".join(r[0] for r in rows) + "\n", encoding="utf-8")
    (folder / "seq.out").write_text("\n".join(r[1] for r in rows) + "\n", encoding="utf-8")
    (folder / "label").write_text("\n".join(r[2] for r in rows) + "\n", encoding="utf-8")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    rows = tiny_rows()
    write_split(tmp_path / "train", rows * 2)
    write_split(tmp_path / "dev", rows[:6])
    write_split(tmp_path / "test", rows)
    return tmp_path


def test_bio_spans_follow_conlleval() -> None:
    assert bio_spans(["O", "B-a", "I-a", "O", "B-b"]) == [("a", 1, 3), ("b", 4, 5)]
    assert bio_spans(["B-a", "B-a", "I-a"]) == [("a", 0, 1), ("a", 1, 3)]
    # I- after O or after another type starts a chunk.
    assert bio_spans(["O", "I-a", "I-a", "I-b"]) == [("a", 1, 3), ("b", 3, 4)]
    assert bio_spans(["O", "O"]) == []
    assert bio_spans(["B-fromloc.city_name", "I-fromloc.city_name"]) == [("fromloc.city_name", 0, 2)]


def test_conversion_gives_character_offsets_and_keeps_multi_intent_labels(tiny: Path) -> None:
    data = read_dataset(tiny)
    assert set(data) == {"train", "dev", "test"} and len(data["test"]) == 18
    assert {e.intent for e in data["train"]} == {"flight", "airfare", "flight#airfare"}
    common = to_rasa_json(data["test"])["rasa_nlu_data"]["common_examples"]
    first = common[0]
    assert first["text"] == "tìm chuyến bay từ hà nội đến đà nẵng"
    assert first["entities"] == [
        {"start": 18, "end": 24, "value": "hà nội", "entity": "fromloc"},
        {"start": 29, "end": 36, "value": "đà nẵng", "entity": "toloc"},
    ]
    for example in common:
        for entity in example["entities"]:
            assert example["text"][entity["start"] : entity["end"]] == entity["value"]
    assert common[2]["intent"] == "flight#airfare"
    json.dumps(common, ensure_ascii=False)  # serialisable as Rasa's JSON format


def test_layout_errors_are_clear(tmp_path: Path) -> None:
    write_split(tmp_path / "train", [("a b", "O", "x")])
    with pytest.raises(DataError, match="line 1: 2 syllables but 1 tags"):
        read_dataset(tmp_path)
    (tmp_path / "test").mkdir()
    (tmp_path / "train" / "label").unlink()
    with pytest.raises(DataError, match="label is missing"):
        read_dataset(tmp_path)


def test_span_metrics_on_hand_computed_cases() -> None:
    gold = [frozenset({("a", 0, 2), ("b", 3, 4)}), frozenset({("a", 1, 2)}), frozenset()]
    pred = [frozenset({("a", 0, 2), ("b", 3, 5)}), frozenset({("a", 1, 2)}), frozenset({("b", 0, 1)})]
    prf = span_prf(gold, pred)
    assert (prf.tp, prf.fp, prf.fn) == (2, 2, 1)  # a wrong end is a false positive and a miss
    assert prf.precision == pytest.approx(0.5) and prf.recall == pytest.approx(2 / 3)
    figures = evaluate(["x", "y", "z"], gold, ["x", "y", "y"], pred)
    assert figures["intent_accuracy"] == pytest.approx(200 / 3)
    assert figures["slot_f1"] == pytest.approx(100 * 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert figures["sentence_accuracy"] == pytest.approx(100 / 3)  # only the second is all right
    with pytest.raises(ValueError):
        evaluate([], [], [], [])


def test_example_char_spans() -> None:
    example = Example(("từ", "hà", "nội"), ("O", "B-fromloc", "I-fromloc"), "flight")
    assert example.char_spans() == frozenset({("fromloc", 3, 9)})


@pytest.mark.slow
# DIET (intents only) counts as an entity extractor beside the CRF for Rasa's validator.
@pytest.mark.filterwarnings("ignore:You have defined multiple entity extractors:UserWarning")
@pytest.mark.filterwarnings("ignore:'evaluate_every_number_of_epochs=20' is greater:UserWarning")
def test_tiny_end_to_end_run_trains_both_pipelines(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tiny / "result.json"
    assert phoatis.main(["--data", str(tiny), "--epochs", "3", "--json", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["intents"] == 3 and result["multi_intent_labels"] == 1 and result["slot_types"] == 2
    for name in ("ours", "stock"):
        figures = result[name]
        assert figures["n"] == 18
        for key in ("intent_accuracy", "slot_f1", "sentence_accuracy"):
            assert 0.0 <= figures[key] <= 100.0
        assert figures["sentence_accuracy"] <= min(figures["intent_accuracy"], 100.0)
    # The CRF learns "từ X đến Y" from 36 examples well enough to find most cities.
    assert result["stock"]["slot_f1"] > 50
    printed = capsys.readouterr().out
    assert "slot F1" in printed and "97.62" in printed
