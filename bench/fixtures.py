"""Benchmark data: Fashion-MNIST subsets written as image files (the engine reads files, as users' data)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from cnnapp.examples import FASHION_MNIST_CLASSES, write_fashion_mnist, write_fashion_mnist_splits

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
