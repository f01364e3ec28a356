"""Benchmark data: Fashion-MNIST subsets written as image files (the engine reads files, as users' data)."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cnnapp.data.examples import FASHION_MNIST_CLASSES, write_fashion_mnist, write_fashion_mnist_splits
from cnnapp.runs import RunDir

WORKDIR = Path(tempfile.mkdtemp(prefix="cnnapp-bench-"))
atexit.register(shutil.rmtree, WORKDIR, ignore_errors=True)


@functools.cache
def fashion_split(train_per_class: int, val_per_class: int) -> Path:
    """`train/` from Fashion-MNIST's train set and `val/` from its test set, `n` images per class each."""
    root = WORKDIR / f"fm-{train_per_class}-{val_per_class}"
    write_fashion_mnist(root / "train", train_per_class, split="train")
    write_fashion_mnist(root / "val", val_per_class, split="test")
    return root


@functools.cache
def fashion_full(per_class: int | None = None) -> Path:
    """Fashion-MNIST's own `train/` (60,000) and `test/` (10,000) splits, or `per_class` images per class of each."""
    return write_fashion_mnist_splits(WORKDIR / f"fm-splits-{per_class or 'all'}", per_class)


def num_classes() -> int:
    return len(FASHION_MNIST_CLASSES)


def launch_training(options: dict, run_dir: Path, env: dict[str, str] | None = None) -> tuple[RunDir, float]:
    """Run `python -m cnnapp train` on `options` (as a user's config file) to the end.

    Returns the run and the seconds from launch to the run's recorded start (the process's start-up time).
    """
    config = run_dir.with_suffix(".json")
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps(options))
    launched = time.time()
    subprocess.run(
        [sys.executable, "-m", "cnnapp", "train", "--config", str(config), "--run-dir", str(run_dir), "--quiet"],
        check=True,
        capture_output=True,
        env=env,
    )
    run = RunDir(run_dir)
    return run, run.status()["started"] - launched
