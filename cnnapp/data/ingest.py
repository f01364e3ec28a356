"""Data ingestion: an ImageFolder directory or `.zip` → validated, split samples and a report.

A training ingests with its image size: each file is then read and decoded once, both to check it and
to fill the uint8 cache the training reads (`Dataset.decoded`), in parallel threads (PIL releases the GIL).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnapp import workspace
from cnnapp.data.archive import extract_zip, is_marker, skip
from cnnapp.data.checking import Check, Decoded, Progress, check_all
from cnnapp.data.images import has_image_extension
from cnnapp.errors import CnnappError, DataError, IngestError
from cnnapp.limits import check_dataset
from cnnapp.messages import Message, msg

if TYPE_CHECKING:
    pass

SPLIT_NAMES = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
SYSTEM_FILES = {"thumbs.db", "desktop.ini", "ehthumbs.db"}
MIN_IMAGES_PER_CLASS = 5
# past this ratio of the largest to the smallest class in train, ingestion warns (README "Unbalanced classes")
IMBALANCE_WARN_RATIO = 3.0


@dataclass
class Dataset:
    """Validated samples per split (`train`, `val`, optional `test`) with the ingestion report."""

    source: str
    root: str
    layout: str
    classes: list[str]
    splits: dict[str, list[tuple[str, int]]]
    val_source: str
    skipped: list[dict[str, Any]] = field(default_factory=list)  # archive.skip's entries
    warnings: list[str] = field(default_factory=list)
    decoded: Decoded | None = field(default=None, repr=False, compare=False)  # ingest(size=...) only

    def counts(self) -> dict[str, dict[str, int]]:
        """Images per class for each split."""
        out = {}
        for split, samples in self.splits.items():
            c = Counter(label for _, label in samples)
            out[split] = {name: c.get(i, 0) for i, name in enumerate(self.classes)}
        return out

    def imbalance(self) -> float:
        """The largest ÷ the smallest class count in train (1.0 when balanced; classes without train images are
        already left out)."""
        counts = [n for n in self.counts().get("train", {}).values() if n > 0]
        return max(counts) / min(counts) if counts else 1.0

    def imbalance_warning(self) -> Message | None:
        """What to say when the train split is unbalanced past `IMBALANCE_WARN_RATIO`, else None."""
        ratio = self.imbalance()
        if ratio <= IMBALANCE_WARN_RATIO:
            return None
        train = self.counts()["train"]
        largest, smallest = max(train, key=train.get), min((c for c in train if train[c]), key=train.get)
        return msg(
            "data.imbalanced", ratio=ratio, limit=IMBALANCE_WARN_RATIO, largest=largest, smallest=smallest,
            most=train[largest], fewest=train[smallest],
        )  # fmt: skip

    def paths(self, split: str) -> list[str]:
        """Absolute image paths of a split."""
        return [os.path.join(self.root, rel) for rel, _ in self.splits[split]]

    def labels(self, split: str) -> list[int]:
        """Class indices of a split, aligned with `paths`."""
        return [label for _, label in self.splits[split]]

    def fingerprint(self) -> str:
        """Identifies the exact sample list (for caches keyed on the data)."""
        h = hashlib.sha256(self.root.encode())
        for split in sorted(self.splits):
            for rel, label in self.splits[split]:
                st = os.stat(os.path.join(self.root, rel))
                h.update(f"{split}|{rel}|{label}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        return h.hexdigest()[:16]

    def report(self) -> dict:
        """The ingestion report saved as `ingest.json`."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "decoded"}
        d["counts"] = self.counts()
        d["num_images"] = {split: len(s) for split, s in self.splits.items()}
        d["imbalance"] = round(self.imbalance(), 3)
        return d

    def save(self, path: Path) -> None:
        """Write the report to `path`."""
        Path(path).write_text(json.dumps(self.report(), indent=1, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> Dataset:
        """Read a report written by `save`."""
        d = json.loads(Path(path).read_text())
        splits = {k: [(rel, int(label)) for rel, label in v] for k, v in d["splits"].items()}
        return cls(
            d["source"], d["root"], d["layout"], d["classes"], splits, d["val_source"], d["skipped"], d["warnings"]
        )


def _junk_reason(name: str, is_dir: bool) -> Message | None:
    lower = name.lower()
    if name == "__MACOSX":
        return msg("skip.macos")
    if is_marker(name):
        return msg("skip.bookkeeping")
    if name.startswith("."):
        return msg("skip.hidden")
    if lower in SYSTEM_FILES:
        return msg("skip.system")
    if not is_dir and not has_image_extension(name):
        return msg("skip.not_image", ext=os.path.splitext(name)[1] or msg("skip.no_extension"))
    return None


def _visible(folder: Path) -> tuple[list[Path], list[Path]]:
    dirs, files = [], []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.is_dir(follow_symlinks=False):
            if _junk_reason(entry.name, True) is None:
                dirs.append(Path(entry.path))
        elif _junk_reason(entry.name, False) is None:
            files.append(Path(entry.path))
    return dirs, files


def _unwrap(top: Path, skipped: list[dict[str, Any]]) -> Path:
    """Descend through single wrapping folders (`data.zip → data/ → classes`), reporting junk beside them."""
    root = top
    while True:
        dirs, files = _visible(root)
        if files or len(dirs) != 1 or dirs[0].name.lower() in SPLIT_NAMES:
            return root
        if not _visible(dirs[0])[0]:
            return root
        for entry in sorted(os.scandir(root), key=lambda e: e.name):
            reason = _junk_reason(entry.name, entry.is_dir(follow_symlinks=False))
            if reason and not is_marker(entry.name):
                skipped.append(skip(os.path.relpath(entry.path, top), reason))
        root = dirs[0]


def _class_dirs(split_root: Path) -> list[str]:
    """Class names exactly as torchvision's ImageFolder would find them (junk folders left out)."""
    return sorted(e.name for e in os.scandir(split_root) if e.is_dir() and _junk_reason(e.name, True) is None)


def walk_files(folder: Path, root: Path) -> Iterator[tuple[str, Message | None]]:
    """Every file under `folder` and every junk folder beside them, found lazily in sorted order, as its path
    relative to `root` and why it is no candidate image (None for a candidate); junk folders are not entered."""
    for dirpath, dirnames, filenames in os.walk(folder):
        keep = []
        for d in sorted(dirnames):
            reason = _junk_reason(d, True)
            if reason:
                yield os.path.relpath(os.path.join(dirpath, d), root), reason
            else:
                keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            reason = _junk_reason(name, False)
            if reason is None and os.path.islink(full):
                reason = msg("skip.link")
            yield os.path.relpath(full, root), reason


def _walk_files(folder: Path, root: Path, skipped: list[dict[str, Any]]) -> list[str]:
    """Paths (relative to `root`) of candidate image files under `folder`, recording junk with reasons."""
    found = []
    for rel, reason in walk_files(folder, root):
        if reason:
            skipped.append(skip(rel, reason))
        else:
            found.append(rel)
    return found


def _stratified_split(samples: list[tuple[str, int]], fraction: float, seed: int) -> tuple[list, list]:
    by_class: dict[int, list[tuple[str, int]]] = {}
    for s in samples:
        by_class.setdefault(s[1], []).append(s)
    rng = random.Random(seed)
    train, val = [], []
    for label in sorted(by_class):
        items = sorted(by_class[label])
        rng.shuffle(items)
        n = len(items)
        n_val = min(max(round(n * fraction), 1 if n >= 2 else 0), n - 1) if fraction > 0 else 0
        val += items[:n_val]
        train += items[n_val:]
    return sorted(train), sorted(val)


def resolve_source(source: str | Path, root: Path | None = None) -> tuple[Path, list[dict[str, Any]]]:
    """A folder to scan for `source` (extracting a `.zip` into the workspace) and entries skipped so far."""
    path = Path(source).expanduser()
    if not path.exists():
        raise DataError(msg("data.not_found", source=str(source)))
    if path.is_file():
        if not zipfile.is_zipfile(path):  # by its bytes: an upload may have any name (a browser's Blob is "blob")
            raise DataError(msg("data.not_folder_or_zip", name=path.name))
        extracted = extract_zip(path, workspace.datasets_dir(root))
        return extracted.root, list(extracted.skipped)
    return path.resolve(), []


def ingest(
    source: str | Path,
    val_split: float = 0.2,
    seed: int = 0,
    workers: int | None = None,
    size: int | None = None,
    progress: Progress | None = None,
    root: Path | None = None,
) -> Dataset:
    """Scan, validate and split a dataset (an archive is extracted into workspace `root`'s datasets). Raises
    IngestError (with the report) when unusable; an archive's extraction is then removed.

    In phases: locate (extract an archive, step into wrapping folders), lay out (split or class folders), scan the
    candidate files, check them against the server's limits, decode every one, keep the valid ones, split. With
    `size`, the images are also decoded at that size into `Dataset.decoded` (when the cache budget allows);
    `progress(checked, total)` is called as files are checked.
    """
    top, skipped = resolve_source(source, root)
    try:
        return _ingest_folder(source, top, skipped, val_split, seed, workers, size, progress)
    except CnnappError:
        if Path(source).expanduser().is_file():  # an archive with nothing usable takes no disk: its extraction goes
            shutil.rmtree(top, ignore_errors=True)
        raise


def _ingest_folder(
    source: str | Path,
    top: Path,
    skipped: list[dict[str, Any]],
    val_split: float,
    seed: int,
    workers: int | None,
    size: int | None,
    progress: Progress | None,
) -> Dataset:
    """`ingest` of the folder `top` (the dataset's, or its archive's extraction)."""
    root = _unwrap(top, skipped)
    inner = os.path.relpath(root, top)
    place = f"'{Path(source).name}" + ("" if inner == "." else f"/{inner}") + "'"
    layout, split_dirs = _layout(root, top, skipped)
    classes = _class_dirs(split_dirs["train"])
    base = {"source": str(source), "root": str(top), "layout": layout, "classes": classes, "skipped": skipped}
    if not classes:
        raise IngestError(msg("data.no_classes", place=place), base)
    candidates = _candidates(split_dirs, classes, top, skipped)
    all_rel = [rel for split in ("train", "val", "test") for rel, _ in candidates.get(split, [])]
    check_dataset(len(all_rel), sum(os.path.getsize(os.path.join(top, rel)) for rel in all_rel), len(classes))
    results, decoded = check_all(top, all_rel, workers, size, progress)
    valid, warnings = _keep_valid(candidates, dict(zip(all_rel, results)), skipped)
    if not valid.get("train"):
        raise IngestError(msg("data.no_valid_images", place=place, skipped=len(skipped)), base)
    classes, valid, left_out = _without_empty_classes(classes, valid)
    base["classes"] = classes
    if len(classes) < 2:
        raise IngestError(msg("data.one_class", name=classes[0] if classes else "none"), base)
    val_source, split_warnings = _validation(valid, val_split, seed)
    warnings += left_out + split_warnings + _size_warnings(classes, valid)
    dataset = Dataset(str(source), str(top), layout, classes, valid, val_source, skipped, warnings, decoded)
    if (unbalanced := dataset.imbalance_warning()) is not None:
        warnings.append(str(unbalanced))
    return dataset


def _layout(root: Path, top: Path, skipped: list[dict[str, Any]]) -> tuple[str, dict[str, Path]]:
    """The layout, "splits" (train/ val/ test/ folders) or "classes" (class folders at `root`), and each split's
    folder; what lies at `root` beside them is reported."""
    split_dirs = {SPLIT_NAMES[d.name.lower()]: d for d in _visible(root)[0] if d.name.lower() in SPLIT_NAMES}
    layout = "splits" if "train" in split_dirs else "classes"
    if layout == "classes":
        split_dirs = {"train": root}
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if is_marker(entry.name):
            continue
        is_dir = entry.is_dir(follow_symlinks=False)
        reason = _junk_reason(entry.name, is_dir)
        if not is_dir:
            reason = reason or msg("skip.outside_class")
        elif layout == "splits" and reason is None and entry.name.lower() not in SPLIT_NAMES:
            reason = msg("skip.not_a_split")
        if reason:
            skipped.append(skip(os.path.relpath(entry.path, top), reason))
    return layout, split_dirs


def _candidates(
    split_dirs: dict[str, Path], classes: list[str], top: Path, skipped: list[dict[str, Any]]
) -> dict[str, list[tuple[str, int]]]:
    """Each split's candidate files (relative to `top`) with their class index; a split's class folder that has no
    training folder is reported."""
    candidates = {}
    for split, split_root in split_dirs.items():
        items = []
        for name in _class_dirs(split_root):
            if name not in classes:
                reason = msg("skip.no_training_folder", name=name)
                skipped.append(skip(os.path.relpath(split_root / name, top), reason))
                continue
            items += [(rel, classes.index(name)) for rel in _walk_files(split_root / name, top, skipped)]
        candidates[split] = items
    return candidates


def _keep_valid(
    candidates: dict[str, list[tuple[str, int]]], checks: dict[str, Check], skipped: list[dict[str, Any]]
) -> tuple[dict[str, list[tuple[str, int]]], list[str]]:
    """Each split's usable files, the first of identical ones kept; the others reported (a duplicate names the file
    it repeats), and a warning when there were duplicates."""
    seen: dict[str, tuple[str, str]] = {}
    duplicates = cross_split = 0
    valid: dict[str, list[tuple[str, int]]] = {}
    for split in ("train", "val", "test"):
        if split not in candidates:
            continue
        kept = []
        for rel, label in candidates[split]:
            digest, reason = checks[rel]
            if digest in seen:
                first, first_split = seen[digest]
                duplicates += 1
                cross_split += first_split != split
                reason = msg("skip.duplicate", first=first)
            if reason:
                skipped.append(skip(rel, reason))
                continue
            seen[digest] = (rel, split)
            kept.append((rel, label))
        valid[split] = kept
    if not duplicates:
        return valid, []
    leak = f", {cross_split} of them across splits (would leak into evaluation)" if cross_split else ""
    return valid, [f"{duplicates} duplicate file(s) skipped{leak}"]


def _without_empty_classes(
    classes: list[str], valid: dict[str, list[tuple[str, int]]]
) -> tuple[list[str], dict[str, list[tuple[str, int]]], list[str]]:
    """The classes with valid training images and the samples relabelled to them; a warning names those left out."""
    present = Counter(label for _, label in valid["train"])
    empty = [c for i, c in enumerate(classes) if present[i] == 0]
    if not empty:
        return classes, valid, []
    keep = [c for c in classes if c not in empty]
    remap = {classes.index(c): i for i, c in enumerate(keep)}
    valid = {s: [(rel, remap[lab]) for rel, lab in v if lab in remap] for s, v in valid.items()}
    return keep, valid, [f"class(es) {', '.join(empty)} have no valid training images and were left out"]


def _validation(valid: dict[str, list[tuple[str, int]]], val_split: float, seed: int) -> tuple[str, list[str]]:
    """Make `valid` hold a val split (the val folder's, else a stratified share of train) and no empty test split;
    return where the val images come from, and a warning when a val folder had none usable."""
    val_source, warnings = "folder", []
    if not valid.get("val"):
        if "val" in valid:
            warnings.append("the val folder has no usable images; a validation split was taken from train instead")
        valid["train"], valid["val"] = _stratified_split(valid["train"], val_split, seed)
        val_source = f"{val_split:.0%} stratified split of train (seed {seed})"
    if "test" in valid and not valid["test"]:
        del valid["test"]
    return val_source, warnings


def _size_warnings(classes: list[str], valid: dict[str, list[tuple[str, int]]]) -> list[str]:
    """Warnings for classes with too few images and for a training without validation images."""
    warnings = []
    for i, c in enumerate(classes):
        n = sum(1 for _, lab in valid["train"] + valid["val"] if lab == i)
        if n < MIN_IMAGES_PER_CLASS:
            warnings.append(f"class '{c}' has only {n} image(s); aim for at least {MIN_IMAGES_PER_CLASS}, better 20+")
    if not valid["val"]:
        warnings.append("no validation images: add more images per class or a val folder")
    return warnings
