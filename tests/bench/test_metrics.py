"""The benchmarks' metric functions on hand-computed cases."""

from __future__ import annotations

import math
import unicodedata

import pytest

from bench.metrics import (
    PRF,
    accuracy,
    aggregate,
    contains_all,
    macro_f1,
    per_label_prf,
    percentile,
    set_prf,
    spread,
    summarize,
)


def test_macro_f1_averages_over_gold_labels_and_counts_fallback_as_a_miss() -> None:
    gold = ["a", "a", "b", "b"]
    pred = ["a", "b", "b", "nlu_fallback"]
    # a: tp1 fp0 fn1 → P1 R.5 F.667; b: tp1 fp1 fn1 → F.5; nlu_fallback is not averaged in.
    assert macro_f1(gold, pred) == pytest.approx((2 / 3 + 0.5) / 2)
    assert accuracy(gold, pred) == 0.5
    prf = per_label_prf(gold, pred)
    assert (prf["nlu_fallback"].tp, prf["nlu_fallback"].fp, prf["nlu_fallback"].fn) == (0, 1, 0)


def test_perfect_and_empty_predictions() -> None:
    assert macro_f1(["x", "y"], ["x", "y"]) == 1.0
    assert macro_f1([], []) == 0.0
    with pytest.raises(ValueError):
        accuracy(["a"], [])


def test_set_prf_is_micro_over_items() -> None:
    pairs = [
        ({"cap-ho-chieu"}, {"cap-ho-chieu"}),  # tp
        ({"dang-ky-tam-tru"}, set()),  # fn
        (set(), {"cap-dien-moi"}),  # fp
        (set(), set()),  # nothing
        ({"dang-ky-ket-hon"}, {"dang-ky-khai-sinh"}),  # fp + fn
    ]
    prf = set_prf(pairs)
    assert (prf.tp, prf.fp, prf.fn) == (1, 2, 2)
    assert prf.precision == pytest.approx(1 / 3)
    assert prf.recall == pytest.approx(1 / 3)
    assert prf.f1 == pytest.approx(1 / 3)


def test_prf_edge_cases() -> None:
    assert PRF(0, 0, 0).f1 == 1.0
    assert PRF(0, 3, 0).f1 == 0.0
    assert PRF(0, 3, 0).as_dict()["precision"] == 0.0


def test_percentile_interpolates_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([5.0], 99) == 5.0
    assert math.isnan(percentile([], 50))


def test_contains_all_is_nfc_and_case_insensitive() -> None:
    reply = unicodedata.normalize("NFD", "Lệ phí: 35.000 ĐỒNG; thời hạn 7 ngày làm việc")
    ok, missing = contains_all(reply, ["35.000 đồng", "7 NGÀY LÀM VIỆC"])
    assert ok and missing == []
    ok, missing = contains_all(reply, ["35.000 đồng", "DC02"])
    assert not ok and missing == ["DC02"]


def test_summarize_and_aggregate_take_medians() -> None:
    assert summarize([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "runs": 3}
    assert summarize([])["median"] is None
    runs = [
        {"a": {"f1": 0.9, "name": "x"}, "n": 3},
        {"a": {"f1": 0.7, "name": "y"}, "n": 3},
        {"a": {"f1": 0.8, "name": "z"}, "n": 3},
    ]
    merged = aggregate(runs)
    assert merged["a"]["f1"] == pytest.approx(0.8)
    assert merged["a"]["name"] == "x"
    assert spread(runs, ["a", "f1"]) == (0.7, 0.9)
    assert spread(runs, ["a", "missing"]) is None
