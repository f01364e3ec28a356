"""Checking a dataset's candidate files: each read and decoded once, in parallel, to tell a usable image (and its
content digest, for duplicates) from one that is not (and why); a training also gets each image fitted to its size
in the uint8 cache it reads (`Decoded`)."""

from __future__ import annotations

import functools
import hashlib
import io
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cnnapp import settings, workspace
from cnnapp.data.images import describe_error, fit_square, load_rgb
from cnnapp.errors import DataError
from cnnapp.messages import Message, msg

if TYPE_CHECKING:
    from cnnapp.data.loaders import ImageCache

FORK_MIN_FILES = 2000  # a training checks this many files or more in forked processes, one per core
CHUNK = 256  # most files per task
Progress = Callable[[int, int], None]  # (files checked, files in all)
Check = tuple[str | None, Message | None]  # (content digest, None) or (None, why the file is not usable)


@dataclass
class Decoded:
    """The images as ingestion decoded them at `size`: row `rows[relative path]` of `cache`."""

    size: int
    cache: ImageCache
    rows: dict[str, int]

    def split(self, samples: Sequence[tuple[str, int]]) -> ImageCache:
        """A split's images, in its order (no copy)."""
        return self.cache.view([self.rows[rel] for rel, _ in samples])


def _check_image(
    path: str, size: int | None = None, out: np.ndarray | None = None, max_pixels: int | None = None
) -> Check:
    """(content digest, None) for a readable image, else (None, reason); with `size`, the image fitted to a
    `size`-pixel square is written to `out` (from the one read and decode)."""
    try:
        data = Path(path).read_bytes()
        image = load_rgb(io.BytesIO(data), draft_size=size or 32, max_pixels=max_pixels)
        square = fit_square(image, size or 32)  # a fit that fails (a degenerate size) is this file's problem too
        if size:
            out[...] = np.asarray(square, dtype=np.uint8)
    except DataError as exc:
        return None, exc.message
    except OSError as exc:
        return None, msg("skip.unreadable", problem=str(exc.strerror or exc))
    except Exception as exc:  # e.g. a degenerate size that decoded without complaint
        return None, msg("image.corrupt", problem=describe_error(exc))
    return hashlib.sha1(data).hexdigest(), None


Job = tuple[Path, list[str], int | None, np.ndarray | None, int]  # root, paths, size, cache array, pixel limit
_FORKED: Job | None = None  # the job of forked checkers (inherited, not sent)


def _check_range(bounds: tuple[int, int], job: Job | None = None) -> list[Check]:
    top, rels, size, target, limit = job or _FORKED
    return [
        _check_image(os.path.join(top, rels[i]), size, None if target is None else target[i], limit)
        for i in range(*bounds)
    ]


def check_all(
    top: Path, rels: list[str], workers: int | None, size: int | None, progress: Progress | None
) -> tuple[list[Check], Decoded | None]:
    """Check every file (and decode it at `size` into a new cache), reporting progress.

    A training (`size` given) checks many files in forked processes, one per core, that write into the
    cache's shared memory (PIL's Python-side work holds the GIL: threads would use one core for small
    images); otherwise threads do.
    """
    cache = None
    if size:
        from cnnapp.data.loaders import ImageCache  # imports torch: only trainings (which pass `size`) load it

        cache = ImageCache.allocate(len(rels), size, workspace.cache_dir())
    target = None if cache is None else cache.array
    job: Job = (top, rels, size if target is not None else None, target, settings.get().max_image_pixels)
    cores = len(os.sched_getaffinity(0))
    fork = size and cores > 1 and len(rels) >= FORK_MIN_FILES and "fork" in multiprocessing.get_all_start_methods()
    workers = workers or (cores if fork else min(8, cores * 2))
    step = max(1, min(CHUNK, len(rels) // (4 * workers)))
    chunks = [(i, min(i + step, len(rels))) for i in range(0, len(rels), step)]
    results: list[Check] = []
    if progress:
        progress(0, len(rels))
    global _FORKED
    if fork:
        _FORKED = job
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        check = _check_range
    else:
        pool = ThreadPoolExecutor(workers)
        check = functools.partial(_check_range, job=job)
    try:
        with pool:
            for checked in pool.map(check, chunks):
                results += checked
                if progress:
                    progress(len(results), len(rels))
    finally:
        _FORKED = None
    decoded = None if cache is None else Decoded(size, cache, {rel: i for i, rel in enumerate(rels)})
    return results, decoded
