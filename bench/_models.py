"""Training for the benchmarks: our pipeline (``config.yml``) and Rasa's stock pipeline.

The stock pipeline is Rasa's own default NLU, cut to what the brief names: WhitespaceTokenizer,
CountVectorsFeaturizer over words and over char_wb 1–4-grams (as Rasa's default config does),
DIETClassifier with the same epochs and seed as ours, EntitySynonymMapper. Full models get our
policies, domain, stories and rules, so only the NLU differs. Training runs ``rasa train`` in a
subprocess (its time and peak memory are then the training's own).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from bench._servers import QUIET_ENV, RASA, ROOT

CONFIG = ROOT / "config.yml"
DOMAIN = ROOT / "domain"
DATA = ROOT / "data"
NLU_DATA = DATA / "nlu"
GENERATED_NLU = NLU_DATA / "services.generated.yml"


class TrainingError(RuntimeError):
    """``rasa train`` failed; the message names its log file."""


@dataclass(frozen=True)
class Trained:
    model: Path
    seconds: float
    log: Path


def our_config() -> Dict[str, Any]:
    return dict(yaml.safe_load(CONFIG.read_text(encoding="utf-8")))


def diet_epochs(config: Dict[str, Any]) -> int:
    for component in config.get("pipeline", []):
        if component.get("name") == "DIETClassifier":
            return int(component.get("epochs", 300))
    raise ValueError("config.yml has no DIETClassifier")


def with_diet(
    config: Dict[str, Any], epochs: Optional[int] = None, seed: Optional[int] = None
) -> Dict[str, Any]:
    """A copy of ``config`` with DIET's epochs and/or random seed replaced."""
    copy = yaml.safe_load(yaml.safe_dump(config))
    for component in copy.get("pipeline", []):
        if component.get("name") == "DIETClassifier":
            if epochs is not None:
                component["epochs"] = epochs
            if seed is not None:
                component["random_seed"] = seed
    return dict(copy)


def stock_config(epochs: int, seed: int = 42, policies: bool = True) -> Dict[str, Any]:
    """Rasa's stock NLU pipeline (same DIET epochs and seed as ours), with our policies."""
    config: Dict[str, Any] = {
        "recipe": "default.v1",
        "language": "vi",
        "assistant_id": "bench-stock",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
            {"name": "DIETClassifier", "epochs": epochs, "constrain_similarities": True, "random_seed": seed},
            {"name": "EntitySynonymMapper"},
        ],
    }
    if policies:
        config["policies"] = our_config().get("policies", [])
    return config


def write_config(config: Dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def require_generated_data() -> None:
    if not GENERATED_NLU.exists():
        raise TrainingError(
            f"{GENERATED_NLU.relative_to(ROOT)} is missing: run `make train` "
            "(or `python -m knowledge nlu-data data/nlu/services.generated.yml`) first"
        )


def train(config: Path, out_dir: Path, name: str, nlu_only: bool = False, timeout: float = 3600) -> Trained:
    """``rasa train [nlu]`` into ``out_dir/<name>.tar.gz``; the wall-clock time it took."""
    require_generated_data()
    out_dir.mkdir(parents=True, exist_ok=True)
    log = out_dir / f"train-{name}.log"
    args = [RASA, "train"]
    if nlu_only:
        args += ["nlu", "--nlu", str(NLU_DATA)]
    else:
        args += ["--data", str(DATA)]
    args += [
        "--config",
        str(config),
        "--domain",
        str(DOMAIN),
        "--out",
        str(out_dir),
        "--fixed-model-name",
        name,
    ]
    if not nlu_only:
        args.append("--force")
    # A fresh, empty training cache: a cached component would make the timing meaningless.
    cache = Path(tempfile.mkdtemp(prefix=f"rasa-cache-{name}-"))
    env = dict(os.environ, **QUIET_ENV, RASA_CACHE_DIRECTORY=str(cache))
    started = time.perf_counter()
    with log.open("wb") as out:
        done = subprocess.run(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    seconds = time.perf_counter() - started
    shutil.rmtree(cache, ignore_errors=True)
    model = out_dir / f"{name}.tar.gz"
    if done.returncode != 0 or not model.exists():
        raise TrainingError(f"rasa train {name} failed ({done.returncode}); see {log}")
    return Trained(model, seconds, log)


def children_peak_rss_mb() -> float:
    """Peak resident memory of the largest finished child process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def inputs_digest(config: Dict[str, Any]) -> str:
    """A digest of everything a full model is trained from: config, domain, data, Rasa version."""
    import hashlib

    import rasa

    digest = hashlib.sha256(yaml.safe_dump(config, sort_keys=True).encode())
    digest.update(str(rasa.__version__).encode())
    for folder in (DOMAIN, DATA):
        for path in sorted(folder.rglob("*.yml")):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_stock_model(cache_dir: Path, epochs: int) -> Dict[str, Any]:
    """The stock-NLU full model for the current inputs, trained only when they changed.

    Returns ``{"model", "seconds", "trained_at", "cached"}``; ``seconds`` is the training time
    measured when the model was trained (now, or at ``trained_at``).
    """
    import datetime as dt
    import json

    config = stock_config(epochs)
    key = inputs_digest(config)
    model = cache_dir / f"stock-{key}.tar.gz"
    meta = cache_dir / f"stock-{key}.json"
    if model.exists() and meta.exists():
        return dict(json.loads(meta.read_text(encoding="utf-8")), model=str(model), cached=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for old in cache_dir.glob("stock-*"):
        old.unlink()
    trained = train(write_config(config, cache_dir / "stock-config.yml"), cache_dir, f"stock-{key}")
    info = {
        "seconds": trained.seconds,
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    meta.write_text(json.dumps(info), encoding="utf-8")
    return dict(info, model=str(trained.model), cached=False)
