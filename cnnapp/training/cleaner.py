"""Fix the labels, as fastai's `ImageClassifierCleaner`: the images a trained run disagrees with most, and a cleaned
copy of its dataset.

`suspects` predicts every image of the run's dataset (train, val and test) with the run's weights and sorts them by
loss, highest first: a wrong label is an image the model is sure belongs elsewhere. A person decides, per image,
keep, relabel or remove; `apply_edits` writes a NEW dataset folder in the workspace (the original untouched: files
are hard-linked where the disk allows, else copied) laid out as train/ val/ test/ as the run split it, so that a
training on it validates on the same images, and beside it `<folder>.cleaning.json`, the manifest: the parent
dataset, the run and every edit. `retrain_options` are the run's settings on the cleaned data.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cnnapp import workspace
from cnnapp.errors import DataError
from cnnapp.files import write_json
from cnnapp.messages import msg
from cnnapp.runs import INGEST, RunDir
from cnnapp.training.evaluate import as_run, predict_paths, predictions_frame

if TYPE_CHECKING:
    from cnnapp.data.ingest import Dataset

SUSPECT_COLUMNS = ["path", "split", "label", "predicted", "confidence", "loss"]
ACTIONS = ("keep", "relabel", "remove")
DONE = {"relabel": "relabelled", "remove": "removed"}
MANIFEST = ".cleaning.json"  # suffix of the manifest beside a cleaned dataset's folder


def _dataset(run: RunDir) -> Dataset:
    from cnnapp.data.ingest import Dataset  # reads ingest.json; the data wing's checks import torch

    try:
        return Dataset.load(run.file(INGEST))
    except OSError:
        raise DataError(msg("cleaner.no_dataset", run=run.id)) from None


def suspects(run: RunDir | str | Path, top: int | None = None) -> pd.DataFrame:
    """The run's images by loss, highest first (the `top` first): columns path (relative to the dataset's folder),
    split, label (the given one), predicted, confidence (of the prediction) and loss."""
    import torch

    from cnnapp.serving.inference import Predictor

    run = as_run(run)
    dataset = _dataset(run)
    paths, labels, splits = [], [], []
    for split in dataset.splits:
        paths += dataset.paths(split)
        labels += dataset.labels(split)
        splits += [split] * len(dataset.splits[split])
    probs = predict_paths(Predictor.from_run(run), paths)
    frame = predictions_frame(paths, dataset.root, torch.tensor(labels, dtype=torch.long), probs, dataset.classes)
    frame = frame.rename(columns={"target": "label", "pred": "predicted"}).assign(split=splits)[SUSPECT_COLUMNS]
    frame = frame.sort_values("loss", ascending=False, kind="stable").reset_index(drop=True)
    return frame.head(top) if top else frame


def most_confused(frame: pd.DataFrame, min_count: int = 1) -> list[tuple[str, str, int]]:
    """(given label, predicted, count) of the disagreements in a suspects table, most frequent first (as fastai's
    `most_confused`): where the labels are likely mixed up."""
    wrong = frame[frame["label"] != frame["predicted"]]
    counts = wrong.groupby(["label", "predicted"]).size().sort_values(ascending=False, kind="stable")
    return [(given, predicted, int(n)) for (given, predicted), n in counts.items() if n >= min_count]


def write_suspects(run: RunDir | str | Path, out: str | Path, top: int | None = None) -> str:
    """Write the `top` suspects as CSV to `out`; returns a line saying where and the most confused pairs."""
    frame = suspects(run, top)
    frame.to_csv(out, index=False)
    pairs = ", ".join(f"{a} → {b} ({n})" for a, b, n in most_confused(frame)[:5]) or "none"
    return f"{out}: {len(frame)} suspect(s), highest loss first; most confused: {pairs}"


def read_edits(path: str | Path) -> list[dict]:
    """The rows of an edits CSV (path, action, new_label). Raises DataError on a missing column."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"path", "action"} <= set(rows[0]):
        raise DataError(msg("cleaner.columns", name=Path(path).name))
    return rows


def apply_edits(run: RunDir | str | Path, edits: Sequence[dict], out: str | Path | None = None) -> Path:
    """Write the run's dataset with `edits` applied (dicts with path, action and, to relabel, new_label) as a new
    folder (default `<workspace>/datasets/<parent>-cleaned-<n>`) and its manifest beside it; return the folder.

    Paths are relative to the dataset's folder (as `suspects` gives them) or absolute. A relabelled image goes to
    its new class's folder of the same split (renamed `<old label>-<name>` when that name is taken). Raises DataError
    on an unknown path, action or class, before anything is written.
    """
    run = as_run(run)
    dataset = _dataset(run)
    plan = _plan(dataset, edits)
    parent = Path(dataset.source).stem or Path(dataset.root).name
    out = Path(out) if out else _new_folder(workspace.datasets_dir(), f"{parent}-cleaned")
    if out.exists():
        raise DataError(msg("cleaner.exists", folder=str(out)))
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for split, samples in dataset.splits.items():
            for rel, label in samples:
                action, new_label = plan.get(rel, ("keep", None))
                if action == "remove":
                    continue
                name = _class_path(rel, dataset.classes[label])
                if action == "relabel":
                    name = Path(f"{dataset.classes[label]}-{name.name}")
                _link(Path(dataset.root) / rel, _free(tmp / split / (new_label or dataset.classes[label]) / name))
        os.replace(tmp, out)
    except OSError:  # a disk full or an image gone: no half-written dataset is left
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest = {
        "parent": {"source": dataset.source, "root": dataset.root},
        "run": run.id,
        "created": time.time(),
        "counts": dict(Counter(action for action, _ in plan.values())),
        "edits": [{"path": rel, "action": a, "new_label": n or ""} for rel, (a, n) in plan.items()],
    }
    write_json(out.with_name(out.name + MANIFEST), manifest)
    return out


def _plan(dataset: Dataset, edits: Sequence[dict]) -> dict[str, tuple[str, str | None]]:
    """Dataset-relative path → (action, new label) of the edits that change something. Raises DataError."""
    known = {rel: label for samples in dataset.splits.values() for rel, label in samples}
    plan = {}
    for edit in edits:
        path, action = str(edit.get("path") or ""), str(edit.get("action") or "keep").strip().lower()
        rel = os.path.relpath(path, dataset.root) if os.path.isabs(path) else os.path.normpath(path)
        new_label = str(edit.get("new_label") or "").strip() or None
        if rel not in known:
            raise DataError(msg("cleaner.unknown_path", path=path))
        if action not in ACTIONS:
            raise DataError(msg("cleaner.unknown_action", action=action, path=path))
        if action == "relabel" and new_label not in dataset.classes:
            raise DataError(
                msg("cleaner.unknown_class", path=path, label=new_label, classes=", ".join(dataset.classes))
            )
        if action == "remove" or (action == "relabel" and new_label != dataset.classes[known[rel]]):
            plan[rel] = (action, new_label if action == "relabel" else None)
    return plan


def apply_file(run: RunDir | str | Path, edits_csv: str | Path) -> str:
    """`apply_edits` of an edits CSV; returns lines saying where the new dataset is and how to train on it."""
    run = as_run(run)
    out = apply_edits(run, read_edits(edits_csv))
    manifest = json.loads(out.with_name(out.name + MANIFEST).read_text())
    done = ", ".join(f"{n} {DONE[action]}" for action, n in manifest["counts"].items()) or "no change"
    return (
        f"{out}\n{done}; manifest: {out.name + MANIFEST}\n"
        f"train again with the same settings: python -m cnnapp train --config {run.file('config.json')} --data {out}"
    )


def retrain_options(run: RunDir | str | Path, data: str | Path) -> dict:
    """The run's settings with `data` as the dataset (for `JobManager.submit`: "train again")."""
    return {**as_run(run).config(), "data": str(data)}


def _class_path(rel: str, label: str) -> Path:
    """The part of `rel` inside its class folder (the folder named `label`; nested folders kept)."""
    parts = Path(rel).parts
    return Path(*parts[parts.index(label) + 1 :]) if label in parts[:-1] else Path(parts[-1])


def _free(path: Path) -> Path:
    """`path`, or the first of `<stem>-2<suffix>`, `-3`, ... that does not exist."""
    n, stem = 1, path.stem
    while path.exists():
        n += 1
        path = path.with_name(f"{stem}-{n}{path.suffix}")
    return path


def _new_folder(base: Path, name: str) -> Path:
    """The first of `base/<name>-1`, `-2`, ... that is free, manifest included."""
    n = 1
    while (base / f"{name}-{n}").exists() or (base / f"{name}-{n}{MANIFEST}").exists():
        n += 1
    return base / f"{name}-{n}"


def _link(source: Path, target: Path) -> None:
    """`target` as a hard link to `source` (no extra disk), or a copy where the disk cannot link."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
