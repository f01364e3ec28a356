"""Torch datasets over ingested samples: decode and resize once into a uint8 cache, augment from it."""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import albumentations as A
import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    WeightedRandomSampler,
)

from cnnapp import settings
from cnnapp.data.images import load_square_array


def decode_all(paths: Sequence[str], size: int, out: np.ndarray, workers: int | None = None) -> None:
    """Decode `paths` into `out[i]` as (size, size, 3) uint8, in parallel threads (PIL releases the GIL)."""

    def work(i: int) -> None:
        out[i] = load_square_array(paths[i], size)

    with ThreadPoolExecutor(workers or min(8, (os.cpu_count() or 1) * 2)) as pool:
        list(pool.map(work, range(len(paths))))


class ImageCache:
    """Images decoded once at one size: in memory, or memory-mapped on disk when large.

    `rows` maps a dataset's positions to rows of `array` (a view of a cache shared by several splits).
    """

    def __init__(self, array: np.ndarray, location: str, rows: np.ndarray | None = None):
        self.array = array
        self.location = location
        self.rows = rows

    @classmethod
    def allocate(cls, count: int, size: int, disk_dir: Path | None = None) -> ImageCache | None:
        """An empty cache for `count` images, in memory within `CNNAPP_CACHE_MEMORY`, else on disk within
        `CNNAPP_CACHE_DISK`; None when even the disk budget is too small (images are then decoded per batch)."""
        nbytes = count * size * size * 3
        budget = settings.get()
        if nbytes <= budget.cache_memory:
            # shared anonymous memory: processes forked to decode (cnnapp.data.ingest) write into it
            buffer = mmap.mmap(-1, max(nbytes, 1))
            return cls(np.frombuffer(buffer, np.uint8, nbytes).reshape(count, size, size, 3), "memory")
        if disk_dir is None or nbytes > budget.cache_disk:
            return None
        disk_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(suffix=".u8", dir=disk_dir)
        os.close(fd)
        array = np.memmap(name, dtype=np.uint8, mode="w+", shape=(count, size, size, 3))
        os.unlink(name)
        return cls(array, "disk")

    @classmethod
    def build(cls, paths: Sequence[str], size: int, disk_dir: Path | None = None) -> ImageCache | None:
        """Decode `paths`; None when even the disk budget is too small (images are then decoded per batch)."""
        cache = cls.allocate(len(paths), size, disk_dir)
        if cache is not None:
            decode_all(paths, size, cache.array)
        return cache

    def view(self, rows: Sequence[int]) -> ImageCache:
        """The images of rows `rows`, in that order, without copying them."""
        return ImageCache(self.array, self.location, np.asarray(rows, dtype=np.int64))

    def take(self, indices: list[int]) -> np.ndarray:
        """The images at positions `indices` (a copy)."""
        return self.array[indices if self.rows is None else self.rows[indices]]


class ImageDataset(torch.utils.data.Dataset):
    """Indexed by a list of positions (one batch at a time): returns (uint8 NHWC images, labels)."""

    def __init__(
        self,
        paths: Sequence[str],
        labels: Sequence[int],
        size: int,
        augment: A.Compose | None = None,
        cache: ImageCache | None = None,
    ):
        self.paths = list(paths)
        self.labels = torch.as_tensor(list(labels), dtype=torch.long)
        self.size = size
        self.augment = augment
        self.cache = cache

    def __len__(self) -> int:
        return len(self.paths)

    def _raw(self, indices: list[int]) -> np.ndarray:
        if self.cache is not None:
            return self.cache.take(indices)
        out = np.empty((len(indices), self.size, self.size, 3), dtype=np.uint8)
        decode_all([self.paths[i] for i in indices], self.size, out)
        return out

    def __getitem__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        images = self._raw(indices)
        if self.augment is not None:
            images = np.stack([self.augment(image=img)["image"] for img in images])
        return torch.from_numpy(np.ascontiguousarray(images)), self.labels[indices]


def class_weights(labels: Sequence[int] | torch.Tensor, num_classes: int) -> torch.Tensor:
    """Inverse class frequency, normalised so that the images' weights average 1 (sklearn's "balanced"):
    n_images / (n_classes_present × count). A class without images gets 0."""
    counts = torch.bincount(torch.as_tensor(labels, dtype=torch.long), minlength=num_classes).double()
    present = int((counts > 0).sum())
    weights = torch.where(counts > 0, counts.sum() / (max(present, 1) * counts.clamp(min=1)), 0.0)
    return weights.float()


def balanced_sampler(labels: Sequence[int] | torch.Tensor, seed: int = 0) -> WeightedRandomSampler:
    """An epoch of `len(labels)` draws with replacement, each class drawn equally often on average."""
    labels = torch.as_tensor(labels, dtype=torch.long)
    per_image = class_weights(labels, int(labels.max()) + 1 if len(labels) else 0)[labels]
    generator = torch.Generator().manual_seed(seed)
    return WeightedRandomSampler(per_image.double(), len(labels), replacement=True, generator=generator)


def make_loader(
    dataset: ImageDataset,
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    workers: int = 0,
    sampler: Sampler[int] | Sequence[int] | None = None,
) -> DataLoader:
    """A loader yielding whole batches from `dataset` (batch sampling, no per-image collate).

    `sampler` overrides the order (e.g. a rank's shard); a final batch of one image is dropped
    when shuffling, since BatchNorm cannot train on it.
    """
    if sampler is None:
        sampler = (
            RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
            if shuffle
            else SequentialSampler(dataset)
        )
    drop_last = shuffle and len(sampler) > batch_size and len(sampler) % batch_size == 1
    return DataLoader(
        dataset,
        sampler=BatchSampler(sampler, batch_size, drop_last=drop_last),
        batch_size=None,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=torch.cuda.is_available(),
    )
