"""Benchmark data: Fashion-MNIST subsets written as image files (the engine reads files, as users' data)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from cnnapp.examples import FASHION_MNIST_CLASSES, write_fashion_mnist

WORKDIR = Path(tempfile.mkdtemp(prefix="cnnapp-bench-"))


@functools.cache
def fashion_split(train_per_class: int, val_per_class: int) -> Path:
    """`train/` from Fashion-MNIST's train set and `val/` from its test set, `n` images per class each."""
    root = WORKDIR / f"fm-{train_per_class}-{val_per_class}"
    write_fashion_mnist(root / "train", train_per_class, split="train")
    write_fashion_mnist(root / "val", val_per_class, split="test")
    return root


def num_classes() -> int:
    return len(FASHION_MNIST_CLASSES)
