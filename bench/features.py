"""The frozen-feature cache against naive frozen training, and time to 85% on Fashion-MNIST."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pandas as pd

from bench.fixtures import fashion_split, launch_training
from bench.harness import Figure
from cnnapp import workspace
from cnnapp.runs import CONFIG, RunDir
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.train import Training

ARCH, SIZE = "tf_efficientnet_lite0", 64


def _frozen_run(data: Path, feature_cache: bool, epochs: int, precision: str = "auto") -> pd.DataFrame:
    cfg = resolve(
        TrainConfig(
            data=str(data), arch=ARCH, img_size=SIZE, epochs=epochs, feature_cache=feature_cache, precision=precision
        )
    )
    run = RunDir.create(ARCH)
    cfg.save(run.file(CONFIG))
    status = Training(cfg, run, progress=False).execute()
    if status["state"] != "completed":
        raise RuntimeError(status["message"])
    return run.metrics()


def _accuracy_gap(key: str, runs: dict[str, pd.DataFrame], absolute: bool) -> Figure:
    """Points of best val accuracy the second of two runs gains over the first (its size when `absolute`); goal ≤ 1."""
    best = {f"{name} best val acc": float(metrics["val_acc"].max()) for name, metrics in runs.items()}
    first, second = best.values()
    delta = (second - first) * 100
    return Figure(key, abs(delta) if absolute else delta, 1, "<=", " pts", detail=best)


def feature_cache(quick: bool) -> list[Figure]:
    """Epoch time and accuracy of frozen training with and without the feature cache.

    Always on 2,000 train / 500 val images: on fewer, a cached epoch (~0.01 s) is mostly fixed costs and one val
    image is a large share of a point. `--quick` runs fewer epochs and asks for half the full run's speedup."""
    data = fashion_split(200, 50)
    epochs = 3 if quick else 5
    naive = _frozen_run(data, False, epochs)
    cached = _frozen_run(data, True, epochs)
    naive_s = statistics.median(naive["seconds"])
    cached_s = statistics.median(cached["seconds"].iloc[1:])
    return [
        Figure(
            "feature_cache_speedup",
            naive_s / cached_s,
            25 if quick else 50,
            ">=",
            detail={
                "naive epoch s": naive_s,
                "cached epoch s": cached_s,
                "first cached epoch s": float(cached["seconds"].iloc[0]),
            },
        ),
        _accuracy_gap("feature_cache_acc_delta", {"naive": naive, "cached": cached}, absolute=True),
    ]


def bf16_accuracy(quick: bool) -> list[Figure]:
    """Validation accuracy with the default precision (bf16 inference where the CPU has it) against fp32 throughout
    (500 val images in both modes: a point is 5 images)."""
    data = fashion_split(200, 50)
    default = _frozen_run(data, True, 5)
    fp32 = _frozen_run(data, True, 5, precision="fp32")
    runs = {"default": default, "fp32": fp32}
    gap = _accuracy_gap("bf16_acc_loss", runs, absolute=False)
    gap.detail.update({f"{name} s to epoch 1": float(m["elapsed"].iloc[0]) for name, m in runs.items()})
    return [gap]


def time_to_85(quick: bool) -> list[Figure]:
    """Seconds from launching `python -m cnnapp train` to an epoch with ≥ 85% val accuracy (2,000/1,000 images)."""
    data = fashion_split(200, 100)
    run_dir = workspace.runs_dir() / f"time-to-85-{time.time_ns()}"
    options = {"data": str(data), "arch": ARCH, "img_size": SIZE, "epochs": 20, "freeze": True, "lr_head": 3e-3}
    run, start_offset = launch_training(options, run_dir)
    metrics = run.metrics()
    reached = metrics[metrics["val_acc"] >= 0.85]
    seconds = start_offset + float(reached["elapsed"].iloc[0]) if len(reached) else float("inf")
    return [
        Figure(
            "time_to_85pct_s",
            seconds,
            20,
            "<=",
            " s",
            detail={
                "start-up s": start_offset,
                "epochs to 85%": float(reached["epoch"].iloc[0]) if len(reached) else float("nan"),
                "best val acc": float(metrics["val_acc"].max()),
            },
        )
    ]
