"""External benchmark in the PhoATIS layout: ``python -m bench.phoatis --data DIR [--epochs N] [--json OUT]``.

``DIR`` holds ``train/``, ``dev/`` and ``test/``, each with ``seq.in`` (one utterance per line,
syllables separated by spaces), ``seq.out`` (one BIO slot tag per syllable) and ``label`` (one
intent per line; a multi-intent label ``a#b`` is a label of its own). Trains, on ``train/``:

- our pipeline: the components of ``config.yml`` that apply (VietnameseNormalizer,
  UndertheseaTokenizer, its featurizers, DIETClassifier for intents) plus CRFEntityExtractor for the
  slots — and not the project's own extractors (services, places), fallback or policies;
- Rasa's stock pipeline: WhitespaceTokenizer, word and char_wb CountVectors, DIETClassifier for
  intents with the same epochs and seed, CRFEntityExtractor for the slots.

Slots use CRFEntityExtractor in both: measured on PhoATIS on 2 cores, DIET's entity recognition took
~535 s per epoch and more than 13 GB (100 epochs ≈ 15 h) while the CRF trained in ~7 min
(``--slots diet`` is there to measure it again). Prints intent accuracy, slot F1 (exact span match,
conlleval convention) and sentence accuracy (intent and every slot right) on ``test/`` for both,
beside the published JointIDSF + PhoBERT figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from bench import _models
from bench.metrics import PRF

SPLITS = ("train", "dev", "test")
PUBLISHED = {
    "system": "JointIDSF + PhoBERT (Dao et al., Interspeech 2021), syllable level",
    "intent_accuracy": 97.62,
    "slot_f1": 94.98,
    "sentence_accuracy": 86.25,
}
# The project's components that make sense on another domain's data.
OUR_GENERIC_COMPONENTS = (
    "nlu.normalizer.VietnameseNormalizer",
    "nlu.tokenizer.UndertheseaTokenizer",
    "RegexFeaturizer",
    "CountVectorsFeaturizer",
    "DIETClassifier",
)

Span = Tuple[str, int, int]  # (slot type, start, end): token indices (end exclusive) or characters


class DataError(ValueError):
    """The data directory does not follow the PhoATIS layout; the message says where."""


@dataclass(frozen=True)
class Example:
    tokens: Tuple[str, ...]
    tags: Tuple[str, ...]
    intent: str

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def char_spans(self) -> FrozenSet[Span]:
        offsets = token_offsets(self.tokens)
        return frozenset((kind, offsets[s][0], offsets[e - 1][1]) for kind, s, e in bio_spans(self.tags))


# --- data --------------------------------------------------------------------------------------


def read_split(folder: Path) -> List[Example]:
    """One split (``seq.in``, ``seq.out``, ``label``), checked line by line."""
    files = {name: folder / name for name in ("seq.in", "seq.out", "label")}
    for path in files.values():
        if not path.is_file():
            raise DataError(f"{path} is missing (expected seq.in, seq.out and label in {folder})")
    lines = {name: path.read_text(encoding="utf-8").splitlines() for name, path in files.items()}
    if not len(lines["seq.in"]) == len(lines["seq.out"]) == len(lines["label"]):
        counts = ", ".join(f"{name} {len(v)}" for name, v in lines.items())
        raise DataError(f"{folder}: files differ in line count ({counts})")
    examples = []
    for number, (text, tags, label) in enumerate(
        zip(lines["seq.in"], lines["seq.out"], lines["label"], strict=True), 1
    ):
        tokens, tag_list = text.split(), tags.split()
        if len(tokens) != len(tag_list):
            raise DataError(f"{folder} line {number}: {len(tokens)} syllables but {len(tag_list)} tags")
        if not tokens:
            continue
        examples.append(Example(tuple(tokens), tuple(tag_list), label.strip()))
    return examples


def read_dataset(root: Path) -> Dict[str, List[Example]]:
    if not root.is_dir():
        raise DataError(f"{root} is not a directory")
    return {split: read_split(root / split) for split in SPLITS if (root / split).is_dir()}


def token_offsets(tokens: Sequence[str]) -> List[Tuple[int, int]]:
    """Character (start, end) of each token in ``" ".join(tokens)``."""
    offsets, position = [], 0
    for token in tokens:
        offsets.append((position, position + len(token)))
        position += len(token) + 1
    return offsets


def bio_spans(tags: Sequence[str]) -> List[Span]:
    """Chunks of a BIO sequence, conlleval convention: ``I-x`` after ``O`` or another type starts a chunk."""
    spans: List[Span] = []
    kind: Optional[str] = None
    start = 0
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        if prefix not in ("B", "I") or not label:
            prefix = "O"
        starts = prefix == "B" or (prefix == "I" and label != kind)
        if kind is not None and (prefix == "O" or starts):
            spans.append((kind, start, i))
            kind = None
        if starts:
            kind, start = label, i
    return spans


def to_rasa_json(examples: Sequence[Example]) -> Dict[str, Any]:
    """Rasa's JSON training-data format; entities from the BIO spans with character offsets."""
    common = []
    for example in examples:
        text = example.text
        entities = [
            {"start": start, "end": end, "value": text[start:end], "entity": kind}
            for kind, start, end in sorted(example.char_spans(), key=lambda s: s[1])
        ]
        common.append({"text": text, "intent": example.intent, "entities": entities})
    return {"rasa_nlu_data": {"common_examples": common}}


# --- metrics -----------------------------------------------------------------------------------


def span_prf(gold: Sequence[FrozenSet[Span]], predicted: Sequence[FrozenSet[Span]]) -> PRF:
    """Micro precision/recall/F1 of exact span matches (type, start and end all equal)."""
    tp = fp = fn = 0
    for g, p in zip(gold, predicted, strict=True):
        tp += len(g & p)
        fp += len(p - g)
        fn += len(g - p)
    return PRF(tp, fp, fn)


def evaluate(
    gold_intents: Sequence[str],
    gold_spans: Sequence[FrozenSet[Span]],
    pred_intents: Sequence[str],
    pred_spans: Sequence[FrozenSet[Span]],
) -> Dict[str, float]:
    """Intent accuracy, slot P/R/F1 and sentence accuracy, in percent."""
    n = len(gold_intents)
    if not n:
        raise ValueError("nothing to evaluate")
    intent_ok = [g == p for g, p in zip(gold_intents, pred_intents, strict=True)]
    slots_ok = [g == p for g, p in zip(gold_spans, pred_spans, strict=True)]
    slots = span_prf(gold_spans, pred_spans)
    return {
        "intent_accuracy": 100 * sum(intent_ok) / n,
        "slot_precision": 100 * slots.precision,
        "slot_recall": 100 * slots.recall,
        "slot_f1": 100 * slots.f1,
        "sentence_accuracy": 100 * sum(i and s for i, s in zip(intent_ok, slots_ok, strict=True)) / n,
        "n": n,
    }


# --- pipelines ---------------------------------------------------------------------------------


def slot_component(slots: str, epochs: int, seed: int) -> Dict[str, Any]:
    if slots == "crf":
        return {"name": "CRFEntityExtractor"}
    return {
        "name": "DIETClassifier",
        "epochs": epochs,
        "random_seed": seed,
        "intent_classification": False,
        "entity_recognition": True,
        "constrain_similarities": True,
    }


def our_pipeline(epochs: int, seed: int, slots: str) -> Dict[str, Any]:
    pipeline = []
    for component in _models.our_config()["pipeline"]:
        if component["name"] in OUR_GENERIC_COMPONENTS:
            component = dict(component)
            if component["name"] == "DIETClassifier":
                component.update(epochs=epochs, random_seed=seed, entity_recognition=False)
            pipeline.append(component)
    pipeline.append(slot_component(slots, epochs, seed))
    return {"recipe": "default.v1", "language": "vi", "assistant_id": "phoatis-ours", "pipeline": pipeline}


def stock_pipeline(epochs: int, seed: int, slots: str) -> Dict[str, Any]:
    config = _models.stock_config(epochs, seed, policies=False)
    pipeline = [c for c in config["pipeline"] if c["name"] != "EntitySynonymMapper"]
    for component in pipeline:
        if component["name"] == "DIETClassifier":
            component["entity_recognition"] = False
    pipeline.append(slot_component(slots, epochs, seed))
    config.update(assistant_id="phoatis-stock", pipeline=pipeline)
    return config


def train_and_parse(
    config: Dict[str, Any], train_file: Path, test: Sequence[Example], workdir: Path, name: str
) -> Dict[str, Any]:
    """Train in-process (an empty training cache), then parse every test utterance."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    config_path = _models.write_config(config, workdir / f"{name}.yml")
    previous_cache = os.environ.get("RASA_CACHE_DIRECTORY")
    os.environ["RASA_CACHE_DIRECTORY"] = str(workdir / f"cache-{name}")  # empty: a real training
    print(f"  training {name} …", flush=True)
    started = time.perf_counter()
    try:
        model = train_nlu(str(config_path), str(train_file), str(workdir), fixed_model_name=name)
    finally:
        if previous_cache is None:
            os.environ.pop("RASA_CACHE_DIRECTORY", None)
        else:
            os.environ["RASA_CACHE_DIRECTORY"] = previous_cache
    train_s = time.perf_counter() - started
    if not model:
        raise RuntimeError(f"training {name} produced no model")
    print(f"  trained {name} in {train_s:.1f} s; parsing {len(test)} test utterances …", flush=True)
    agent = Agent.load(model)

    async def parse() -> List[Dict[str, Any]]:
        return [await agent.parse_message(example.text) for example in test]

    started = time.perf_counter()
    parsed = asyncio.run(parse())
    parse_s = time.perf_counter() - started
    intents = [str((p.get("intent") or {}).get("name") or "") for p in parsed]
    spans = [
        frozenset((str(e["entity"]), int(e["start"]), int(e["end"])) for e in p.get("entities") or [])
        for p in parsed
    ]
    figures = evaluate([e.intent for e in test], [e.char_spans() for e in test], intents, spans)
    figures.update(train_s=train_s, parse_ms_mean=1000 * parse_s / len(test))
    return figures


def run(data: Path, epochs: int, slots: str, seed: int = 42, split: str = "test") -> Dict[str, Any]:
    dataset = read_dataset(data)
    if "train" not in dataset or split not in dataset:
        raise DataError(f"{data} needs train/ and {split}/ folders")
    train, test = dataset["train"], dataset[split]
    labels = {e.intent for e in train}
    result: Dict[str, Any] = {
        "data": str(data),
        "split": split,
        "train": len(train),
        "test": len(test),
        "intents": len(labels),
        "multi_intent_labels": len({label for label in labels if "#" in label}),
        "slot_types": len({kind for e in train for kind, _, _ in bio_spans(e.tags)}),
        "epochs": epochs,
        "slots": slots,
        "published": PUBLISHED,
    }
    with tempfile.TemporaryDirectory(prefix="bench-phoatis-") as tmp:
        workdir = Path(tmp)
        train_file = workdir / "train.json"
        train_file.write_text(json.dumps(to_rasa_json(train), ensure_ascii=False), encoding="utf-8")
        for name, config in (
            ("ours", our_pipeline(epochs, seed, slots)),
            ("stock", stock_pipeline(epochs, seed, slots)),
        ):
            result[name] = train_and_parse(config, train_file, test, workdir, name)
    return result


def render(result: Dict[str, Any]) -> List[str]:
    pub = result["published"]
    lines = [
        f"PhoATIS-layout benchmark: {result['data']} — train {result['train']}, "
        f"{result['split']} {result['test']}, {result['intents']} intents "
        f"({result['multi_intent_labels']} multi-intent a#b), {result['slot_types']} slot types; "
        f"DIET {result['epochs']} epochs, slots by "
        + ("CRFEntityExtractor" if result["slots"] == "crf" else "DIET"),
        f"{'':<22}{'ours':>10}{'stock':>10}{'published':>11}",
    ]
    for key, name in (
        ("intent_accuracy", "intent accuracy"),
        ("slot_f1", "slot F1"),
        ("sentence_accuracy", "sentence accuracy"),
    ):
        lines.append(f"{name:<22}{result['ours'][key]:>10.2f}{result['stock'][key]:>10.2f}{pub[key]:>11.2f}")
    lines.append(
        f"{'training time (s)':<22}{result['ours']['train_s']:>10.1f}{result['stock']['train_s']:>10.1f}"
    )
    lines.append(f"published: {pub['system']}")
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.phoatis", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=os.environ.get("PHOATIS_DIR"),
        help="dataset folder in the PhoATIS layout (or set PHOATIS_DIR)",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="DIET epochs for both (default: config.yml's)"
    )
    parser.add_argument("--slots", choices=("crf", "diet"), default="crf")
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--quick", action="store_true", help="accepted for bench.run; same as the default")
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    if args.data is None:
        parser.error("--data DIR is required (PhoATIS is not redistributable; see README)")
    epochs = args.epochs or _models.diet_epochs(_models.our_config())
    try:
        result = run(Path(args.data), epochs, args.slots, split=args.split)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(render(result)))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
