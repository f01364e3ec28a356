"""The frozen-feature cache against naive frozen training, and time to 85% on Fashion-MNIST."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from bench.fixtures import fashion_split
from bench.harness import Figure
from cnnapp import workspace
from cnnapp.config import TrainConfig, resolve
from cnnapp.runs import CONFIG, RunDir
from cnnapp.train import Training

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


def feature_cache(quick: bool) -> list[Figure]:
    """Epoch time and accuracy of frozen training with and without the feature cache."""
    data = fashion_split(50 if quick else 200, 20 if quick else 50)
    epochs = 3 if quick else 5
    naive = _frozen_run(data, False, epochs)
    cached = _frozen_run(data, True, epochs)
    naive_s = statistics.median(naive["seconds"])
    cached_s = statistics.median(cached["seconds"].iloc[1:])
    delta = abs(naive["val_acc"].max() - cached["val_acc"].max()) * 100
    return [
        Figure(
            "feature_cache_speedup",
            naive_s / cached_s,
            50,
            ">=",
            detail={
                "naive epoch s": naive_s,
                "cached epoch s": cached_s,
                "first cached epoch s": float(cached["seconds"].iloc[0]),
            },
        ),
        Figure(
            "feature_cache_acc_delta",
            delta,
            1,
            "<=",
            " pts",
            detail={
                "naive best val acc": float(naive["val_acc"].max()),
                "cached best val acc": float(cached["val_acc"].max()),
            },
        ),
    ]


def bf16_accuracy(quick: bool) -> list[Figure]:
    """Validation accuracy with the default precision (bf16 inference where the CPU has it) against fp32 throughout."""
    data = fashion_split(50 if quick else 200, 20 if quick else 50)
    default = _frozen_run(data, True, 5)
    fp32 = _frozen_run(data, True, 5, precision="fp32")
    delta = (fp32["val_acc"].max() - default["val_acc"].max()) * 100
    return [
        Figure(
            "bf16_acc_loss",
            delta,
            1,
            "<=",
            " pts",
            detail={
                "default best val acc": float(default["val_acc"].max()),
                "fp32 best val acc": float(fp32["val_acc"].max()),
                "default s to epoch 1": float(default["elapsed"].iloc[0]),
                "fp32 s to epoch 1": float(fp32["elapsed"].iloc[0]),
            },
        )
    ]


def time_to_85(quick: bool) -> list[Figure]:
    """Seconds from launching `python -m cnnapp train` to an epoch with ≥ 85% val accuracy (2,000/1,000 images)."""
    data = fashion_split(200, 100)
    run_dir = workspace.runs_dir() / f"time-to-85-{time.time_ns()}"
    options = {"data": str(data), "arch": ARCH, "img_size": SIZE, "epochs": 20, "freeze": True, "lr_head": 3e-3}
    config = run_dir.with_suffix(".json")
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps(options))
    launched = time.time()
    subprocess.run(
        [sys.executable, "-m", "cnnapp", "train", "--config", str(config), "--run-dir", str(run_dir), "--quiet"],
        check=True,
        capture_output=True,
    )
    run = RunDir(run_dir)
    metrics = run.metrics()
    start_offset = run.status()["started"] - launched
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
