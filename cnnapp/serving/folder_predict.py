"""Classify every image of a folder or a .zip: a CSV of predictions and, optionally, the images sorted into one
folder per predicted class.

It streams: files are found lazily in sorted order (`data.ingest.walk_files`, a dataset's junk rules), decoded one at
a time, and at most MAX_BATCH decoded images are held before they go through `Predictor.predict` together (its
batched forward pass, shared with concurrent callers), so a folder of any size runs in bounded memory. A file that is
no usable image is listed with its reason (as `data.archive.skip`) and the rest go on. A .zip is extracted first by
`data.archive.extract_zip`, within its limits (`archive.ZipLimits`), into a scratch folder removed afterwards.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from cnnapp import workspace
from cnnapp.data.archive import extract_zip, is_marker, skip
from cnnapp.data.ingest import walk_files
from cnnapp.errors import ConfigError, DataError
from cnnapp.files import atomic_write
from cnnapp.messages import msg
from cnnapp.serving.inference import MAX_BATCH, Predictor, to_square_array
from cnnapp.serving.tta import predict_arrays

UNSURE = "unsure"  # the sorted folder of the images predicted below the minimum confidence
Progress = Callable[[int, int], None]  # (files looked at, files in all)


@dataclass
class FolderResult:
    """What `classify_folder` did: images classified, files skipped (path, reason, reason_code), images sorted into
    each folder."""

    images: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    sorted: Counter[str] = field(default_factory=Counter)


def columns(top_k: int) -> list[str]:
    """The CSV's header: the path relative to the input, the best label and its confidence, then each next best's."""
    ranks = (f"top{i}_{what}" for i in range(2, top_k + 1) for what in ("label", "conf"))
    return ["path", "label", "confidence", *ranks]


def is_folder_source(path: str | Path) -> bool:
    """Whether `path` is a folder or a .zip (judged by its bytes): what `classify_folder` reads, not one image."""
    path = Path(path)
    return path.is_dir() or (path.is_file() and zipfile.is_zipfile(path))


def check_min_confidence(value: Any) -> float:
    """The minimum confidence as a probability in [0, 1]. Raises ConfigError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0.0 <= number <= 1.0:  # NaN fails too
        raise ConfigError(msg("folder.min_confidence", value=value))
    return number


@contextlib.contextmanager
def _opened(source: Path, scratch: Path | None) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """The folder to walk for `source` and the entries its archive left out; a .zip is extracted into a folder under
    `scratch` (the system's temporary folder by default), removed afterwards."""
    if source.is_dir():
        yield source, []
        return
    if not (source.is_file() and zipfile.is_zipfile(source)):
        raise DataError(msg("data.not_folder_or_zip", name=source.name))
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".classify-", dir=scratch) as folder:
        extracted = extract_zip(source, Path(folder))
        yield extracted.root, list(extracted.skipped)


def _candidates(folder: Path, skipped: list[dict[str, Any]]) -> Iterator[str]:
    """The candidate images under `folder` (relative paths), recording the other files with why."""
    for rel, reason in walk_files(folder, folder):
        if reason is None:
            yield rel
        elif not is_marker(rel):  # the extraction's own bookkeeping file is not the user's
            skipped.append(skip(rel, reason))


def _folder_name(label: str) -> str:
    """A class name usable as one folder's name (ImageNet's keep their commas and spaces; a slash would nest)."""
    name = re.sub(r"[/\\\x00]", "_", label).strip()
    return name if name not in ("", ".", "..") else "_"


class Sorter:
    """Copies each image once into `out/<predicted class>/` (`out/unsure/` below `min_confidence`), under its own
    name, or `name-2.jpg`, `name-3.jpg`, ... when that is taken (never overwriting a file already there)."""

    def __init__(self, root: Path, out: Path, min_confidence: float, counts: Counter[str]):
        self.root, self.out, self.min_confidence, self.counts = root, out, min_confidence, counts

    def __call__(self, rel: str, label: str, confidence: float) -> None:
        folder = UNSURE if confidence < self.min_confidence else _folder_name(label)
        (self.out / folder).mkdir(parents=True, exist_ok=True)
        stem, suffix = os.path.splitext(os.path.basename(rel))
        name, n = stem + suffix, 1
        while True:
            try:
                target = open(self.out / folder / name, "xb")  # exclusive: two images never share a name
                break
            except FileExistsError:
                n += 1
                name = f"{stem}-{n}{suffix}"
        with target, open(self.root / rel, "rb") as image:
            shutil.copyfileobj(image, target)
        self.counts[folder] += 1


def _rounded(top: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Probabilities as the CSV holds them: the sorting compares the same numbers a reader of the CSV sees."""
    return [(label, round(prob, 6)) for label, prob in top]


def _bar(progress: bool | Progress, total: int) -> tuple[Progress | None, Callable[[], None]]:
    """A callback for `progress` (True: a tqdm bar on stderr) and how to close it."""
    if not progress or not total:
        return None, lambda: None
    if callable(progress):
        return progress, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="img", desc="classifying", file=sys.stderr, dynamic_ncols=True)
    return lambda done, _: bar.update(done - bar.n), bar.close


def classify_folder(
    predictor: Predictor,
    source: str | Path,
    out: TextIO,
    top_k: int = 5,
    sort_dir: Path | None = None,
    min_confidence: float = 0.0,
    progress: bool | Progress = False,
    scratch: Path | None = None,
    tta: bool = False,
) -> FolderResult:
    """Classify every image under `source` (a folder or a .zip), writing the CSV (`columns`, one row per image) to
    `out`, and with `sort_dir` copying each image into its class's folder there (see `Sorter`).

    `progress`: True for a progress bar on stderr, or a callback; `tta`: with test-time augmentation (`serving.tta`).
    Raises DataError when no file is a usable image.
    """
    min_confidence = check_min_confidence(min_confidence)
    if sort_dir and Path(source).is_dir() and workspace.is_within(Path(sort_dir), Path(source)):
        raise ConfigError(msg("folder.sort_inside", folder=str(sort_dir)))  # the walk would find the copies
    k = max(1, min(int(top_k), len(predictor.classes)))
    writer = csv.writer(out)
    result = FolderResult()
    with _opened(Path(source), scratch) as (folder, skipped):
        result.skipped = skipped
        sort = Sorter(folder, Path(sort_dir), min_confidence, result.sorted) if sort_dir else None
        total = sum(1 for _, reason in walk_files(folder, folder) if reason is None)
        step, close = _bar(progress, total)
        batch: list[tuple[str, np.ndarray]] = []

        def flush() -> None:
            if batch and not result.images:  # the header once there is a row: no images, nothing written
                writer.writerow(columns(k))
            arrays = [array for _, array in batch]
            tops = predict_arrays(predictor, arrays, k) if tta else predictor.predict(arrays, top_k=k)
            for (rel, _), top in zip(batch, tops):
                top = _rounded(top)
                writer.writerow([rel, *(value for pair in top for value in pair)])
                if sort:
                    sort(rel, *top[0])
            result.images += len(batch)
            batch.clear()

        try:
            for done, rel in enumerate(_candidates(folder, result.skipped), 1):
                try:
                    batch.append((rel, to_square_array(folder / rel, predictor.img_size)))
                except DataError as exc:
                    result.skipped.append(skip(rel, exc.message))
                if len(batch) == MAX_BATCH:
                    flush()
                if step:
                    step(done, total)
            flush()
        finally:
            close()
    if not result.images:
        raise DataError(msg("folder.no_images", name=Path(source).name, skipped=len(result.skipped)))
    return result


def write_csv(predictor: Predictor, source: str | Path, csv_path: str | Path | None, **options: Any) -> FolderResult:
    """`classify_folder` into the file `csv_path` (written whole or not at all), or to stdout when None."""
    if csv_path is None:
        return classify_folder(predictor, source, sys.stdout, **options)
    with atomic_write(Path(csv_path)) as tmp, open(tmp, "w", newline="", encoding="utf-8") as out:
        return classify_folder(predictor, source, out, **options)


def predict_folder(
    predictor: Predictor,
    source: str,
    csv_path: str | None,
    top_k: int,
    sort_dir: str | None = None,
    min_confidence: float | None = None,
    quiet: bool = False,
    tta: bool = False,
) -> int:
    """`python -m cnnapp predict FOLDER_OR_ZIP`: the CSV to `csv_path` (or stdout), the files skipped and a summary
    on stderr; the exit status (0: every usable image classified, skipped files or not)."""
    result = write_csv(
        predictor,
        source,
        csv_path,
        top_k=top_k,
        sort_dir=Path(sort_dir) if sort_dir else None,
        min_confidence=min_confidence or 0.0,
        progress=not quiet,
        tta=tta,
    )
    for entry in result.skipped:
        print(f"skipped: {entry['path']}: {entry['reason']}", file=sys.stderr)
    where = f" into {csv_path}" if csv_path else ""
    print(f"{result.images} image(s) classified{where}, {len(result.skipped)} file(s) skipped", file=sys.stderr)
    if sort_dir:
        counts = ", ".join(f"{name}: {n}" for name, n in sorted(result.sorted.items()))
        print(f"sorted into {sort_dir}: {counts}", file=sys.stderr)
    return 0
