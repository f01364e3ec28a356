"""Per-run evaluation: the report and predictions a training writes, and what the app reads back from them.

`write_evaluation` writes report.json and val_predictions.csv when training ends; the rest reads the run
directory (with metrics.csv and ingest.json) for accuracies, per-class metrics, confusion matrix, curves and
top losses; `recompute_predictions` re-runs the saved weights on the val images to check those files;
`evaluate_data` writes the same report for new labelled images (optionally with test-time augmentation).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cnnapp.errors import DataError, RunError
from cnnapp.files import atomic_write, read_json, write_json
from cnnapp.messages import msg
from cnnapp.runs import INGEST, PREDICTIONS, REPORT, RunDir, get_run
from cnnapp.training.metrics import balanced_accuracy, classification_report, confusion_matrix

if TYPE_CHECKING:
    import torch

    from cnnapp.serving.inference import Predictor
    from cnnapp.training.engine import Predictions

PREDICTION_COLUMNS = ["path", "target", "pred", "confidence", "loss"]


def predictions_frame(
    paths: Sequence[str], root: str, targets: torch.Tensor, probs: torch.Tensor, classes: Sequence[str]
) -> pd.DataFrame:
    """One row per image (the val_predictions.csv table): path relative to `root`, true and predicted class,
    the prediction's probability and the image's cross-entropy loss."""
    picked = probs.gather(1, targets[:, None]).squeeze(1).clamp_min(1e-12)
    columns = [
        [os.path.relpath(p, root) for p in paths],
        [classes[i] for i in targets.tolist()],
        [classes[i] for i in probs.argmax(1).tolist()],
        probs.max(1).values.numpy().round(5),
        (-picked.log()).numpy().round(5),
    ]
    return pd.DataFrame(dict(zip(PREDICTION_COLUMNS, columns)))


def write_evaluation(
    run: RunDir,
    facts: dict,
    classes: list[str],
    val: Predictions | None,
    val_paths: Sequence[str],
    root: str,
    test: Predictions | None = None,
) -> dict:
    """Write report.json (`facts`, then val and test metrics) and val_predictions.csv; return the report."""
    report: dict = {"classes": classes, **facts}
    if val is not None:
        part = classification_report(val.targets.tolist(), val.preds.tolist(), classes)
        report.update(
            val_accuracy=part["accuracy"],
            val_balanced_accuracy=part["balanced_accuracy"],
            val_loss=val.loss,
            per_class=part["per_class"],
            confusion_matrix=part["confusion_matrix"],
            macro_f1=part["macro_f1"],
        )
        with atomic_write(run.file(PREDICTIONS)) as tmp:
            predictions_frame(val_paths, root, val.targets, val.probs, classes).to_csv(tmp, index=False)
    if test is not None:
        part = classification_report(test.targets.tolist(), test.preds.tolist(), classes)
        report.update(test_accuracy=part["accuracy"], test=part)
    write_json(run.file(REPORT), report)
    return report


def as_run(run: RunDir | str | Path) -> RunDir:
    """A RunDir from a RunDir, a run id or a run directory path. Raises RunError."""
    return run if isinstance(run, RunDir) else get_run(run, allow_paths=True)


def _report(run: RunDir) -> dict:
    report = run.report()
    if not report:
        raise RunError(msg("evaluate.no_report", run=run.id))
    return report


def accuracies(run: RunDir | str | Path) -> dict[str, float]:
    """Accuracy per evaluated split: `val`, and `test` when the dataset has one."""
    report = _report(as_run(run))
    return {
        split: report[f"{split}_accuracy"] for split in ("val", "test") if report.get(f"{split}_accuracy") is not None
    }


def _split_part(report: dict, split: str) -> dict:
    if split == "val" and "confusion_matrix" in report:
        return report
    if split == "test" and "test" in report:
        return report["test"]
    raise RunError(msg("evaluate.no_split", split=msg(f"split.{split}")))


def per_class_table(run: RunDir | str | Path, split: str = "val") -> pd.DataFrame:
    """Precision, recall, F1 and support per class (columns: class, precision, recall, f1, support)."""
    part = _split_part(_report(as_run(run)), split)
    return pd.DataFrame(part["per_class"], columns=["class", "precision", "recall", "f1", "support"])


def confusion(run: RunDir | str | Path, split: str = "val") -> tuple[np.ndarray, list[str]]:
    """The confusion matrix (rows = true class, columns = predicted class) and its class names."""
    report = _report(as_run(run))
    return np.asarray(_split_part(report, split)["confusion_matrix"]), list(report["classes"])


def confusion_figure(cm: np.ndarray, classes: list[str], normalize: bool = False, title: str = "") -> Figure:
    """The confusion matrix as an annotated heatmap; `normalize` divides each row by its true-class count."""
    cm = np.asarray(cm, dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    values = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0) if normalize else cm
    n = len(classes)
    side = max(4.0, 0.5 * n + 1.5)
    fig = Figure(figsize=(side + 1, side))
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else max(values.max(), 1))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(n), classes, rotation=45, ha="right", fontsize=10)
    ax.set_yticks(range(n), classes, fontsize=10)
    ax.set(
        xlabel="predicted class",
        ylabel="true class",
        title=title or ("confusion matrix (row-normalised)" if normalize else "confusion matrix (counts)"),
    )
    threshold = (1 if normalize else values.max()) / 2
    if n <= 30:
        for (i, j), v in np.ndenumerate(values):
            text = f"{v:.2f}" if normalize else f"{int(v)}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=11 if n <= 12 else 8,
                color="white" if v > threshold else "black",
            )
    fig.tight_layout()
    return fig


def confusion_plot(run: RunDir | str | Path, normalize: bool = False, split: str = "val") -> Figure:
    """The run's confusion matrix figure (for `gr.Plot`)."""
    cm, classes = confusion(run, split)
    return confusion_figure(cm, classes, normalize)


def curves(run: RunDir | str | Path) -> pd.DataFrame:
    """Loss and accuracy per epoch in long format.

    Columns: epoch, stage, metric (loss/accuracy), split (train/val), value.
    """
    metrics = as_run(run).metrics()
    if metrics.empty:
        return pd.DataFrame(columns=["epoch", "stage", "metric", "split", "value"])
    long = metrics.melt(
        id_vars=["epoch", "stage"], value_vars=["train_loss", "train_acc", "val_loss", "val_acc"], value_name="value"
    )
    parts = long.pop("variable").str.split("_", expand=True)
    long["split"], long["metric"] = parts[0], parts[1].map({"loss": "loss", "acc": "accuracy"})
    return (
        long.dropna(subset=["value"])
        .astype({"epoch": int, "value": float})[["epoch", "stage", "metric", "split", "value"]]
        .reset_index(drop=True)
    )


def line_figure(
    data: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    ylabel: str,
    ylim: tuple[float, float] | None = None,
    colors: dict[str, str] | None = None,
) -> Figure:
    """Overlaid lines, one per value of `color` (in `colors` where given), with a marker at every point (so one-epoch
    runs still show) and whole-number ticks on the x axis."""
    fig = Figure(figsize=(6, 3.4))
    ax = fig.add_subplot()
    for name, part in data.groupby(color, sort=False):
        ax.plot(part[x], part[y], marker="o", label=str(name), color=(colors or {}).get(str(name)))
    ax.set(xlabel=x, ylabel=ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    steps = sorted(data[x].unique())
    if 0 < len(steps) <= 20:
        ax.set_xticks(steps)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if len(data):
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def dataset_root(run: RunDir | str | Path) -> Path:
    """The dataset folder the run was trained on (from ingest.json)."""
    run = as_run(run)
    ingest = read_json(run.file(INGEST)) or {}
    if not ingest.get("root"):
        raise RunError(msg("cleaner.no_dataset", run=run.id))
    return Path(ingest["root"])


def val_predictions(run: RunDir | str | Path) -> pd.DataFrame:
    """val_predictions.csv (path relative to the dataset root, target, pred, confidence, loss)."""
    run = as_run(run)
    try:
        return pd.read_csv(run.file(PREDICTIONS))
    except (OSError, pd.errors.EmptyDataError):
        raise RunError(msg("evaluate.no_predictions", run=run.id)) from None


def top_losses(run: RunDir | str | Path, k: int = 16) -> list[tuple[str, str]]:
    """The `k` val images the model got most confidently wrong (surest first), as (image path, caption)."""
    run = as_run(run)
    return mistakes(val_predictions(run), dataset_root(run), k)


def mistakes(frame: pd.DataFrame, root: Path, k: int = 16) -> list[tuple[str, str]]:
    """The `k` rows of a predictions table most confidently wrong (surest first), as (image path, caption).

    The caption reads "true → predicted (probability of the prediction)"; images no longer on disk are left out.
    """
    wrong = frame[frame["target"] != frame["pred"]].sort_values(["confidence", "loss"], ascending=False)
    out = []
    for row in wrong.itertuples():
        path = Path(root) / row.path
        if path.is_file():
            out.append((str(path), f"{row.target} → {row.pred} ({row.confidence:.0%})"))
        if len(out) == k:
            break
    return out


def predict_paths(predictor: Predictor, paths: Sequence[str], tta: bool = False, batch_size: int = 64) -> torch.Tensor:
    """Probabilities (len(paths), classes) of image files, prepared as validation images are; with `tta`, averaged
    over `cnnapp.serving.tta`'s views."""
    import torch

    from cnnapp.serving.inference import to_square_array
    from cnnapp.serving.tta import probabilities

    parts = []
    for i in range(0, len(paths), batch_size):
        arrays = [to_square_array(p, predictor.img_size) for p in paths[i : i + batch_size]]
        parts.append(probabilities(predictor, arrays, tta))
    return torch.cat(parts) if parts else torch.empty(0, len(predictor.classes))


def recompute_predictions(run: RunDir | str | Path, batch_size: int = 64) -> pd.DataFrame:
    """Predict the run's val images again with its saved weights (through `cnnapp.serving.inference`).

    Same columns as val_predictions.csv, in the same order.
    """
    import torch

    from cnnapp.data.ingest import Dataset
    from cnnapp.serving.inference import Predictor

    run = as_run(run)
    dataset = Dataset.load(run.file(INGEST))
    paths, targets = dataset.paths("val"), torch.tensor(dataset.labels("val"), dtype=torch.long)
    probs = predict_paths(Predictor.from_run(run), paths, batch_size=batch_size)
    return predictions_frame(paths, dataset.root, targets, probs, dataset.classes)


def confusion_from_predictions(frame: pd.DataFrame, classes: list[str]) -> np.ndarray:
    """The confusion matrix (rows = true class) of a predictions table with `target` and `pred` class names."""
    index = {c: i for i, c in enumerate(classes)}
    return confusion_matrix(frame["target"].map(index).tolist(), frame["pred"].map(index).tolist(), len(classes))


def _scores(targets: torch.Tensor, probs: torch.Tensor, classes: list[str]) -> dict:
    """A split's report (`classification_report`) with its balanced accuracy."""
    part = classification_report(targets.tolist(), probs.argmax(1).tolist(), classes)
    return {**part, "balanced_accuracy": balanced_accuracy(np.asarray(part["confusion_matrix"]))}


def evaluate_data(
    run: RunDir | str | Path, data: str | Path, tta: bool = False, out: str | Path | None = None, k: int = 16
) -> dict:
    """The run's model on new labelled images: a folder or .zip of class folders (or of train/val/test ones: every
    image counts), ingested as a training's data is (its limits; bad files skipped with reasons).

    Returns and writes to `out` (default `<workspace>/evaluations/<run>-<data>`) report.json, as the run's own:
    accuracy, balanced accuracy, macro F1, per-class metrics, confusion matrix, the `k` top losses; with `tta` also
    `tta` (the same under `cnnapp.serving.tta`) and `tta_gain` (its accuracy minus the plain one). Classes the run
    does not know are counted in `unknown_classes`, not evaluated; the run's classes missing from the data have
    support 0. Also writes predictions.csv (and predictions_tta.csv), paths relative to the data's folder.
    """
    import torch

    from cnnapp import workspace
    from cnnapp.data.ingest import ingest
    from cnnapp.serving.inference import Predictor

    run = as_run(run)
    classes = run.labels()
    dataset = ingest(data, val_split=0.0)
    index = {c: i for i, c in enumerate(classes)}
    samples = [(rel, dataset.classes[label]) for split in dataset.splits.values() for rel, label in split]
    unknown = Counter(name for _, name in samples if name not in index)
    known = [(os.path.join(dataset.root, rel), index[name]) for rel, name in samples if name in index]
    if not known:
        raise DataError(msg("evaluate.no_known_class", name=Path(data).name, classes=", ".join(sorted(unknown))))
    paths, targets = [p for p, _ in known], torch.tensor([t for _, t in known], dtype=torch.long)
    predictor = Predictor.from_run(run)
    probs = {"": predict_paths(predictor, paths)}
    if tta:
        probs["tta"] = predict_paths(predictor, paths, tta=True)
    out = Path(out) if out else workspace.home() / "evaluations" / f"{run.id}-{Path(data).stem}"
    out.mkdir(parents=True, exist_ok=True)
    frames = {name: predictions_frame(paths, dataset.root, targets, p, classes) for name, p in probs.items()}
    report = {"run": run.id, "data": str(data), "classes": classes, **_scores(targets, probs[""], classes)}
    if tta:
        report.update(tta=_scores(targets, probs["tta"], classes))
        report["tta_gain"] = report["tta"]["accuracy"] - report["accuracy"]
    report.update(
        unknown_classes=dict(sorted(unknown.items())),
        skipped=len(dataset.skipped),
        top_losses=[{"path": p, "caption": c} for p, c in mistakes(frames[""], Path(dataset.root), k)],
        out=str(out),
    )
    for name, frame in frames.items():
        with atomic_write(out / f"predictions{'_' + name if name else ''}.csv") as tmp:
            frame.to_csv(tmp, index=False)
    write_json(out / REPORT, report)
    return report


def summary(report: dict) -> str:
    """`evaluate_data`'s report in a few lines of English (the CLI's output)."""
    lines = [
        f"accuracy {report['accuracy']:.2%} on {report['num_images']} images "
        f"(balanced {report['balanced_accuracy']:.2%}, macro-F1 {report['macro_f1']:.3f})"
    ]
    if "tta" in report:
        lines.append(f"with TTA {report['tta']['accuracy']:.2%} ({report['tta_gain'] * 100:+.2f} points)")
    if report["unknown_classes"]:
        unknown = ", ".join(f"{name} ({n})" for name, n in report["unknown_classes"].items())
        lines.append(f"not evaluated, classes the run does not know: {unknown}")
    if report["skipped"]:
        lines.append(f"{report['skipped']} file(s) skipped (not images, unreadable or duplicates)")
    lines.append(f"report: {Path(report['out']) / REPORT}")
    return "\n".join(lines)
