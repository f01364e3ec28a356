"""Example datasets written as ImageFolder trees: Fashion-MNIST from its idx files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from PIL import Image

from cnnapp.errors import DataError

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = ["tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot"]


def read_idx(path: Path) -> np.ndarray:
    """An idx(.gz) file (the MNIST format) as an array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist_arrays(split: str = "train", source: Path = FASHION_MNIST_DIR) -> tuple[np.ndarray, np.ndarray]:
    """(images N×28×28, labels N) of Fashion-MNIST's `train` or `test` split."""
    prefix = "train" if split == "train" else "t10k"
    images, labels = source / f"{prefix}-images-idx3-ubyte.gz", source / f"{prefix}-labels-idx1-ubyte.gz"
    if not images.is_file():
        raise DataError(f"Fashion-MNIST not found in {source}; install it with `apt-get install dataset-fashion-mnist`")
    return read_idx(images), read_idx(labels)


def write_fashion_mnist(out: Path, per_class: int, split: str = "train", offset: int = 0, source: Path = FASHION_MNIST_DIR) -> Path:
    """Write `per_class` images of each class (after skipping `offset` per class) as `out/<class>/<n>.png`."""
    images, labels = fashion_mnist_arrays(split, source)
    out = Path(out)
    for label, name in enumerate(FASHION_MNIST_CLASSES):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in np.flatnonzero(labels == label)[offset : offset + per_class]:
            Image.fromarray(images[i], mode="L").save(folder / f"{split}_{i:05d}.png", optimize=True)
    return out
