"""The course's optimizers (Tema 8, "Optimizadores") raced with `torch.optim` itself, on a 2-D surface and on real runs.

On a surface, each optimizer moves one point (x, y) downhill for a number of steps, exactly as it
moves a network's weights: `zero_grad`, `backward`, `step`. On the example dataset the same seven
train the same configuration one after another through the job manager, only the optimizer varied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from cnnapp.errors import ConfigError
from cnnapp.messages import msg
from cnnapp.runs import RunDir
from cnnapp.training.config import OPTIMIZERS, TrainConfig, resolve
from cnnapp.training.config import RACE_PRESETS as PRESETS
from cnnapp.training.defaults import LR_HEAD
from cnnapp.training.evaluate import as_run

Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: formula, where its minimum lies, a view box, a start and learning rates that race well."""

    formula: str
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    minimum: Point
    box: tuple[float, float, float, float]  # x from, x to, y from, y to
    start: Point
    lrs: dict[str, float]

    @property
    def min_value(self) -> float:
        return float(self.fn(torch.tensor(self.minimum[0]), torch.tensor(self.minimum[1])))


# The course's optimizers, SGD with and without momentum; each builds a `torch.optim` optimizer for a learning rate.
RUNNERS: dict[str, Callable[[list[torch.Tensor], float], torch.optim.Optimizer]] = {
    "SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "SGD + momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "AdamW": lambda p, lr: torch.optim.AdamW(p, lr=lr),
    "RMSprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "Adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "Adadelta": lambda p, lr: torch.optim.Adadelta(p, lr=lr),
    "Adamax": lambda p, lr: torch.optim.Adamax(p, lr=lr),
}


def _lrs(*values: float) -> dict[str, float]:
    """Learning rates in the order of RUNNERS."""
    return dict(zip(RUNNERS, values, strict=True))


SURFACES: dict[str, Surface] = {
    "Rosenbrock": Surface(
        "(1 − x)² + 100 (y − x²)²",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        (1.0, 1.0),
        (-2.0, 2.0, -1.0, 3.0),
        (-1.2, 1.0),
        _lrs(1e-3, 3e-4, 0.05, 0.05, 0.01, 0.3, 5.0, 0.1),
    ),
    "saddle": Surface(
        "x² − y² + y⁴ / 4",
        lambda x, y: x**2 - y**2 + y**4 / 4,
        (0.0, 2**0.5),
        (-2.0, 2.0, -2.5, 2.5),
        (-1.8, 0.01),
        _lrs(0.02, 0.01, 0.05, 0.05, 0.02, 0.25, 3.0, 0.05),
    ),
    "Beale": Surface(
        "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
        lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
        (3.0, 0.5),
        (-4.5, 4.5, -4.5, 4.5),
        (1.0, 1.5),
        _lrs(1e-3, 5e-4, 0.05, 0.05, 0.02, 0.25, 3.0, 0.05),
    ),
}


@dataclass
class Trajectory:
    """The points one optimizer visited (start included) and the loss at each; `diverged` if it left the numbers."""

    points: np.ndarray  # (steps + 1, 2)
    losses: np.ndarray  # (steps + 1,)
    diverged: bool = False


def surface(name: str) -> Surface:
    """A surface by name. Raises ConfigError."""
    if name not in SURFACES:
        raise ConfigError(msg("course.unknown_surface", name=name, choices=list(SURFACES)))
    return SURFACES[name]


def descend(fn: Callable, start: Point, optimizer: str, lr: float, steps: int) -> Trajectory:
    """Move a point from `start` down `fn` with one of the RUNNERS for `steps` steps (float64)."""
    if optimizer not in RUNNERS:
        raise ConfigError(msg("course.unknown_optimizer", name=optimizer, choices=list(RUNNERS)))
    if not lr > 0:
        raise ConfigError(msg("course.race_lr", optimizer=optimizer, value=lr))
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = RUNNERS[optimizer]([point], lr)
    points, losses = [], []
    for step in range(int(steps) + 1):
        opt.zero_grad()
        loss = fn(point[0], point[1])
        if not torch.isfinite(loss) or point.detach().abs().max() > 1e6:
            return Trajectory(np.array(points).reshape(-1, 2), np.array(losses), diverged=True)
        points.append(point.detach().numpy().copy())
        losses.append(loss.item())
        if step < steps:
            loss.backward()
            opt.step()
    return Trajectory(np.array(points), np.array(losses))


def race(name: str, start: Point | None = None, steps: int = 300, lrs: dict[str, float] | None = None) -> dict:
    """Every runner on the named surface from the same start; `lrs` overrides the surface's learning rates."""
    s = surface(name)
    if not 1 <= int(steps) <= 5000:
        raise ConfigError(msg("course.race_steps", value=steps))
    chosen = {**s.lrs, **(lrs or {})}
    return {opt: descend(s.fn, start or s.start, opt, float(chosen[opt]), int(steps)) for opt in RUNNERS}


def race_figure(name: str, trajectories: dict[str, Trajectory], labels: dict[str, str] | None = None) -> Figure:
    """Contours with each trajectory from the start (square) towards the minimum (star); loss per step (log scale)."""
    text = {"x": "x", "y": "y", "step": "step", "loss": "loss − minimum (log scale)"}
    text.update(labels or {})
    s = surface(name)
    x0, x1, y0, y1 = s.box
    xs, ys = np.meshgrid(np.linspace(x0, x1, 240), np.linspace(y0, y1, 240))
    zs = s.fn(torch.from_numpy(xs), torch.from_numpy(ys)).numpy() - s.min_value + 1e-3
    fig = Figure(figsize=(11, 4.6))
    ax, curves = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
    ax.contourf(xs, ys, zs, levels=np.geomspace(zs.min(), zs.max(), 30), norm=LogNorm(), cmap="Greys_r", alpha=0.6)
    ax.contour(xs, ys, zs, levels=np.geomspace(zs.min(), zs.max(), 15), norm=LogNorm(), colors="k", linewidths=0.3)
    for (opt, t), color in zip(trajectories.items(), _colors(len(trajectories))):
        label = f"{opt}{' ✗' if t.diverged else ''}"
        ax.plot(t.points[:, 0], t.points[:, 1], "-", color=color, lw=1.6, label=label)
        ax.plot(t.points[-1:, 0], t.points[-1:, 1], "o", color=color, ms=5)
        curves.plot(np.arange(len(t.losses)), np.maximum(t.losses - s.min_value, 1e-12), color=color, label=label)
    start = next(iter(trajectories.values())).points[0] if trajectories else s.start
    ax.plot(*start, "ks", ms=6)
    ax.plot(*s.minimum, "*", color="gold", mec="k", ms=14)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel=text["x"], ylabel=text["y"], title=f"{name}: {s.formula}")
    curves.set(yscale="log", xlabel=text["step"], ylabel=text["loss"])
    curves.grid(alpha=0.3)
    curves.legend(fontsize=8, ncols=2)
    fig.tight_layout()
    return fig


def _colors(n: int) -> list:
    from matplotlib import colormaps

    return [colormaps["tab10"](i) for i in range(n)]


def final_table(trajectories: dict[str, Trajectory]) -> pd.DataFrame:
    """Per optimizer: where it ended, its last loss and whether it diverged."""
    return pd.DataFrame(
        [
            {
                "optimizer": opt,
                "x": round(float(t.points[-1, 0]), 4) if len(t.points) else None,
                "y": round(float(t.points[-1, 1]), 4) if len(t.points) else None,
                "loss": float(t.losses[-1]) if len(t.losses) else None,
                "diverged": t.diverged,
            }
            for opt, t in trajectories.items()
        ]
    )


# ----- the same seven on real runs ----------------------------------------------------------------------------------

NAMES = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
}  # config.OPTIMIZERS as the course writes them


def base_config(data: str | Path, preset: str = "lenet5", epochs: int = 3, lr: float = LR_HEAD) -> TrainConfig:
    """The shared configuration of the optimizer runs: a constant learning rate (no scheduler), no augmentation."""
    if preset not in PRESETS:
        raise ConfigError(msg("course.unknown_preset", name=preset, choices=list(PRESETS)))
    return TrainConfig(
        data=str(data), epochs=int(epochs), lr_head=float(lr), scheduler="none", augment="none", **PRESETS[preset]
    )


def optimizer_configs(base: TrainConfig) -> list[TrainConfig]:
    """One resolved config per course optimizer (`config.OPTIMIZERS`), identical to `base` but for `optimizer`."""
    return [resolve(dataclasses.replace(base, optimizer=name)) for name in OPTIMIZERS]


def queue_optimizer_runs(base: TrainConfig, submit_all: Callable[..., list[RunDir]]) -> list[RunDir]:
    """Resolve the seven configs (a bad option fails before any run exists), then pass them, resolved, to `submit_all`
    as one request (the job manager's: admitted whole or refused whole), each run named by its optimizer."""
    configs = optimizer_configs(base)
    return submit_all(configs, kind="race", details=[NAMES[cfg.optimizer] for cfg in configs])


def optimizer_curves(runs: Iterable[RunDir | str | Path]) -> pd.DataFrame:
    """Per epoch of each run: optimizer, run_id, epoch, val_acc, val_loss, train_loss (long format, epochs so far)."""
    frames = []
    for r in runs:
        run = as_run(r)
        m = run.metrics()[["epoch", "val_acc", "val_loss", "train_loss"]].dropna(subset=["epoch", "val_acc"])
        frames.append(m.assign(optimizer=run.config().get("optimizer", "?"), run_id=run.id))
    columns = ["optimizer", "run_id", "epoch", "val_acc", "val_loss", "train_loss"]
    if not frames:
        return pd.DataFrame(columns=columns)
    data = pd.concat(frames, ignore_index=True)
    return data.astype({"epoch": int, "val_acc": float, "val_loss": float, "train_loss": float})[columns]


def curves_figure(data: pd.DataFrame, labels: dict[str, str] | None = None) -> Figure:
    """Validation accuracy and validation loss per epoch, one line per optimizer, side by side."""
    text = {"epoch": "epoch", "val_acc": "validation accuracy (%)", "val_loss": "validation loss"}
    text.update(labels or {})
    fig = Figure(figsize=(11, 3.8))
    acc, loss = fig.subplots(1, 2)
    for (opt, part), color in zip(data.groupby("optimizer", sort=False), _colors(len(OPTIMIZERS))):
        acc.plot(part["epoch"], part["val_acc"] * 100, "o-", color=color, label=opt)
        loss.plot(part["epoch"], part["val_loss"], "o-", color=color, label=opt)
    acc.set(xlabel=text["epoch"], ylabel=text["val_acc"], ylim=(0, 100))
    loss.set(xlabel=text["epoch"], ylabel=text["val_loss"])
    for ax in (acc, loss):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    if len(data):
        fig.legend(*acc.get_legend_handles_labels(), loc="center right", fontsize=9)
    return fig
