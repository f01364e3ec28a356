"""Classification metrics: accuracy, balanced accuracy, per-class precision/recall/F1, macro-F1, confusion matrix.

Balanced accuracy and macro-F1 weigh every class alike: on unbalanced classes accuracy alone can look good while
the small classes are never predicted."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(targets: Sequence[int], preds: Sequence[int], num_classes: int) -> np.ndarray:
    """Counts with rows = true class and columns = predicted class."""
    t = np.asarray(targets, dtype=np.int64)
    p = np.asarray(preds, dtype=np.int64)
    return np.bincount(t * num_classes + p, minlength=num_classes**2).reshape(num_classes, num_classes)


def per_class(cm: np.ndarray, classes: Sequence[str]) -> list[dict]:
    """Precision, recall, F1 and support for each class (0 where undefined)."""
    tp = np.diag(cm).astype(float)
    predicted = cm.sum(axis=0)
    actual = cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return [
        {
            "class": c,
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(actual[i]),
        }
        for i, c in enumerate(classes)
    ]


def balanced_accuracy(confusion: np.ndarray) -> float:
    """The mean recall of the classes that have images (rows true, columns predicted; sklearn's definition)."""
    cm = np.asarray(confusion, dtype=float)
    actual = cm.sum(axis=1)
    present = actual > 0
    return float(np.mean(np.diag(cm)[present] / actual[present])) if present.any() else 0.0


def macro_f1(confusion: np.ndarray) -> float:
    """The mean F1 over every class (0 for a class never predicted nor present), rows true, columns predicted."""
    cm = np.asarray(confusion)
    return float(np.mean([row["f1"] for row in per_class(cm, [""] * len(cm))])) if len(cm) else 0.0


def classification_report(targets: Sequence[int], preds: Sequence[int], classes: Sequence[str]) -> dict:
    """Accuracy, balanced accuracy, per-class metrics, macro F1 and the confusion matrix of one split."""
    cm = confusion_matrix(targets, preds, len(classes))
    rows = per_class(cm, classes)
    total = int(cm.sum())
    return {
        "accuracy": float(np.trace(cm) / total) if total else 0.0,
        "balanced_accuracy": balanced_accuracy(cm),
        "macro_f1": macro_f1(cm),
        "num_images": total,
        "per_class": rows,
        "confusion_matrix": cm.tolist(),
    }
