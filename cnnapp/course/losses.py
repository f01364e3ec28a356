"""The course's loss functions (Tema 8, "Funciones de pérdida"), computed by `torch.nn.functional`.

The loss (pérdida) is defined for one example, the cost (coste) for a collection of examples: here
the mean of the losses over a batch, torch's default `reduction="mean"`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from cnnapp.course.convolution import as_matrix
from cnnapp.errors import ConfigError
from cnnapp.messages import msg

LOSSES = ("mse", "mae", "bce", "cce")
FORMULAS = {
    "mse": "(ŷ − y)²",
    "mae": "|ŷ − y|",
    "bce": "−[y log ŷ + (1 − y) log(1 − ŷ)]",
    "cce": "−Σₖ yₖ log ŷₖ",
}
CLASSES = 3  # the categorical example: class 1 gets the target / prediction, the other classes share the rest
EPS = 1e-4


def _spread(p: torch.Tensor) -> torch.Tensor:
    """Probabilities of CLASSES classes: `p` for the first, the remainder shared equally by the others."""
    rest = ((1 - p) / (CLASSES - 1)).unsqueeze(-1).expand(*p.shape, CLASSES - 1)
    return torch.cat([p.unsqueeze(-1), rest], dim=-1)


def losses(name: str, target: Any, prediction: Any) -> np.ndarray:
    """Per-example loss (`reduction="none"`) of targets y and predictions ŷ (arrays of the same shape, or broadcast).

    For "cce", y and ŷ are the probabilities of the first of CLASSES classes (y = 1: a one-hot target).
    """
    y, p = torch.broadcast_tensors(torch.as_tensor(target, dtype=torch.float64), torch.as_tensor(prediction))
    p = p.to(torch.float64)
    if name == "mse":
        return F.mse_loss(p, y, reduction="none").numpy()
    if name == "mae":
        return F.l1_loss(p, y, reduction="none").numpy()
    if name in ("bce", "cce") and not (((p > 0) & (p < 1)).all() and ((y >= 0) & (y <= 1)).all()):
        raise ConfigError(msg("course.cross_entropy"))
    if name == "bce":
        return F.binary_cross_entropy(p, y, reduction="none").numpy()
    if name == "cce":
        # cross_entropy takes scores (logits); log-probabilities are scores whose softmax gives those probabilities back
        return F.cross_entropy(torch.log(_spread(p)), _spread(y), reduction="none").numpy()
    raise ConfigError(msg("course.unknown_loss", name=name, choices=list(LOSSES)))


def loss_figure(target: float, prediction: float, titles: dict[str, str], labels: dict[str, str]) -> Figure:
    """Each loss against the prediction ŷ ∈ (0, 1) for target y, with the chosen prediction marked and its value."""
    target, prediction = float(target), float(np.clip(prediction, EPS, 1 - EPS))
    xs = np.linspace(EPS, 1 - EPS, 400)
    fig = Figure(figsize=(10, 6.2))
    for ax, name in zip(fig.subplots(2, 2).flat, LOSSES):
        value = float(losses(name, target, prediction))
        ax.plot(xs, losses(name, target, xs), color="#6366f1")
        ax.axvline(target, color="#f59e0b", ls="--", lw=1, label=f"{labels['target']} y = {target:g}")
        ax.plot([prediction], [value], "o", color="#dc2626", label=f"ŷ = {prediction:g} → {value:.4f}")
        ax.set(title=f"{titles[name]}: {FORMULAS[name]}", xlabel=labels["prediction"], ylabel=labels["loss"])
        if name in ("bce", "cce"):
            ax.set_ylim(0, min(10, ax.get_ylim()[1]))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def batch(table: Any) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], dict[str, float]]:
    """A batch of (target, prediction) rows: targets, predictions, per-example losses and each loss's cost (mean)."""
    rows = as_matrix(table, msg("course.table.batch"))
    if rows.shape[1] != 2:
        raise ConfigError(msg("course.batch_columns"))
    y, p = torch.from_numpy(rows[:, 0]).double(), torch.from_numpy(rows[:, 1]).double()
    each = {name: losses(name, y, p) for name in LOSSES}
    cost = {
        "mse": F.mse_loss(p, y).item(),
        "mae": F.l1_loss(p, y).item(),
        "bce": F.binary_cross_entropy(p, y).item(),
        "cce": F.cross_entropy(torch.log(_spread(p)), _spread(y)).item(),
    }
    return rows[:, 0], rows[:, 1], each, cost


EXAMPLE_BATCH = [[1.0, 0.9], [0.0, 0.2], [1.0, 0.4], [0.0, 0.7]]
