"""The learning-rate range test (fastai's `lr_find`): an exponential sweep, the smoothed loss and a suggested rate.

The learning rate grows from `start_lr` to `end_lr` over `steps` mini-batches while the loss is recorded;
the sweep stops once the smoothed loss exceeds `DIVERGE` × its minimum. The suggestion is fastai's default,
the *valley* (a point inside the longest stretch where the loss keeps falling); the *steepest descent*
(where the smoothed loss falls fastest per decade) is reported too. The model is restored afterwards and
nothing is written to the workspace's runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from cnnapp.data.ingest import ingest
from cnnapp.errors import LRFindError, coded
from cnnapp.messages import msg
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.engine import Batches, Prep
from cnnapp.training.learner import Learner
from cnnapp.training.progress import Progress
from cnnapp.training.train import plan_stages, seed_everything

if TYPE_CHECKING:
    from matplotlib.figure import Figure

START_LR, END_LR, STEPS = 1e-7, 10.0, 100
BETA = 0.98  # smoothing of the loss (fastai's AvgSmoothLoss)
DIVERGE = 4.0  # stop once the smoothed loss is this many times its minimum
MIN_POINTS = 10  # fewer points than this after trimming cannot place a suggestion
METHOD = "valley"


@dataclass
class Sweep:
    """Learning rate (of the head's group), raw and smoothed loss at each step of a range test."""

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    diverged: bool


def range_test(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Batches,
    criterion: nn.Module,
    prep: Prep,
    device: torch.device,
    *,
    start_lr: float = START_LR,
    end_lr: float = END_LR,
    steps: int = STEPS,
    amp: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    on_step: Callable[[], None] | None = None,
) -> Sweep:
    """Train `model` with a learning rate growing exponentially from `start_lr` to `end_lr`, then restore it.

    `batches` is passed over as often as `steps` needs. Each parameter group keeps its ratio to the last
    group's rate (the head's), as fastai scales discriminative rates. Weights, buffers and train/eval modes
    are restored afterwards and gradients cleared, whatever happens.
    """
    if steps < 2 or not 0 < start_lr < end_lr:
        raise LRFindError(msg("lr_find.bad_sweep", steps=steps, start=start_lr, end=end_lr))
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    modes = {m: m.training for m in model.modules()}
    ratios = [g["lr"] / optimizer.param_groups[-1]["lr"] for g in optimizer.param_groups]
    lrs, losses, smoothed = [], [], []
    average, best, diverged = 0.0, math.inf, False
    try:
        for step, (images, targets) in zip(range(steps), _endless(batches)):
            lr = start_lr * (end_lr / start_lr) ** (step / (steps - 1))
            for group, ratio in zip(optimizer.param_groups, ratios):
                group["lr"] = lr * ratio
            with amp():
                logits = model(prep(images))
            loss = criterion(logits.float(), targets.to(device, non_blocking=True))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = loss.item()
            average = BETA * average + (1 - BETA) * value
            smooth = average / (1 - BETA ** (step + 1))
            lrs.append(lr)
            losses.append(value)
            smoothed.append(smooth)
            if on_step is not None:
                on_step()
            best = min(best, smooth)
            if not math.isfinite(smooth) or smooth > DIVERGE * best:
                diverged = True
                break
    finally:
        for p in model.parameters():
            p.grad = None
        model.load_state_dict(saved)
        for module, training in modes.items():
            module.train(training)
    return Sweep(lrs, losses, smoothed, diverged)


def _endless(batches: Batches) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    while True:
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty:
            raise LRFindError(msg("lr_find.no_images"))


def _trim(sweep: Sweep) -> tuple[list[float], list[float]]:
    """fastai's view of the curve: the first tenth (still settling) and the last 5 steps (diverging) left out."""
    n = len(sweep.lrs)
    lrs, losses = sweep.lrs[n // 10 : n - 5], sweep.smoothed[n // 10 : n - 5]
    if len(lrs) < MIN_POINTS:
        raise LRFindError(msg("lr_find.too_early", steps=n))
    return lrs, losses


def valley(lrs: Iterable[float], losses: Iterable[float]) -> float:
    """fastai's `valley`: the middle of the longest stretch over which the (smoothed) loss keeps falling."""
    lrs, losses = list(lrs), list(losses)
    n = len(losses)
    run = [1] * n  # length of the longest decreasing subsequence ending at i
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
        if run[i] > run[end]:
            end, start = i, i - run[i]
    third = (end - start) / 3
    return lrs[start + int(third) + int(third / 2)]


def steepest(lrs: Iterable[float], losses: Iterable[float]) -> float:
    """The rate where the loss falls fastest per unit of log learning rate."""
    lrs, losses = list(lrs), list(losses)
    slopes = [(losses[i + 1] - losses[i]) / math.log(lrs[i + 1] / lrs[i]) for i in range(len(lrs) - 1)]
    return lrs[min(range(len(slopes)), key=slopes.__getitem__)]


@dataclass
class LRFind:
    """A range test's curve and its suggestion: `lr_head` (by `method`), and `lr_backbone` when the backbone trains."""

    lr_head: float
    lr_backbone: float | None
    method: str
    valley: float
    steepest: float
    frozen: bool
    feature_cache: bool
    diverged: bool
    steps: int
    seconds: float
    lrs: list[float]
    losses: list[float]
    smoothed: list[float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """Two lines for a terminal."""
        line = f"suggested learning rate: {self.lr_head:.2e} (the {self.method} of the loss curve)"
        if self.lr_backbone is not None:
            line += f"; backbone {self.lr_backbone:.2e}"
        ended = "the loss diverged" if self.diverged else "the sweep ended"
        return (
            f"{line}\nsteepest descent at {self.steepest:.2e}; {self.steps} steps from {self.lrs[0]:.0e} to "
            f"{self.lrs[-1]:.1e} ({ended}), {'head only' if self.frozen else 'whole network'}"
            f"{' on cached features' if self.feature_cache else ''}, {self.seconds:.1f} s"
        )


def find_lr(
    cfg: TrainConfig,
    steps: int = STEPS,
    start_lr: float = START_LR,
    end_lr: float = END_LR,
    progress: bool = False,
) -> LRFind:
    """The range test for a training configuration: the same data, model, freezing, optimizer and augmentation.

    Frozen: only the head's parameters are swept, the backbone in eval mode; with the feature cache the
    backbone runs once over the train split and the sweep trains the head on its features. Unfrozen: the
    whole network, the backbone's rate kept at its ratio to the head's (`lr_backbone / lr_head`).
    """
    try:
        return _find_lr(resolve(cfg), steps, start_lr, end_lr, progress)
    except (torch.OutOfMemoryError, MemoryError) as exc:
        raise LRFindError(coded(exc)) from None


def _find_lr(cfg: TrainConfig, steps: int, start_lr: float, end_lr: float, progress: bool) -> LRFind:
    started = time.perf_counter()
    seed_everything(cfg.seed)
    stage = plan_stages(cfg)[0]
    # the learner of the training's first stage; the sweep sets the learning rates itself: no schedule
    learner = Learner(dataclasses.replace(cfg, scheduler="none"), progress=Progress(None, 1, show=progress))
    learner.build(ingest(cfg.data, val_split=cfg.val_split, seed=cfg.seed))
    optimizer, _ = learner.begin_stage(stage)
    net, batches, prep, amp = learner.epoch_inputs(stage, 1)  # the batches of the training's first epoch
    with learner.progress.bar(steps, "lr-find") as bar:
        sweep = range_test(
            net, optimizer, batches, learner.criterion, prep, learner.device,
            start_lr=start_lr, end_lr=end_lr, steps=steps, amp=amp, on_step=bar.update,
        )  # fmt: skip
    lrs, losses = _trim(sweep)
    suggested = {"valley": valley(lrs, losses), "steepest": steepest(lrs, losses)}
    frozen = stage.frozen
    trains_backbone = not frozen or cfg.unfreeze_epochs > 0
    lr = suggested[METHOD]
    return LRFind(
        lr_head=lr,
        lr_backbone=lr * cfg.lr_backbone / cfg.lr_head if trains_backbone else None,
        method=METHOD,
        valley=suggested["valley"],
        steepest=suggested["steepest"],
        frozen=frozen,
        feature_cache=learner.uses_features(stage),
        diverged=sweep.diverged,
        steps=len(sweep.lrs),
        seconds=round(time.perf_counter() - started, 2),
        lrs=sweep.lrs,
        losses=sweep.losses,
        smoothed=sweep.smoothed,
    )


def curve_figure(result: dict[str, Any]) -> Figure:
    """Loss against learning rate (log axis): raw and smoothed, the suggestion and the steepest descent marked."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(result["lrs"], result["losses"], color="#c7d2fe", linewidth=1, label="loss")
    ax.plot(result["lrs"], result["smoothed"], color="#6366f1", linewidth=2, label="smoothed loss")
    ax.axvline(result["steepest"], color="#94a3b8", linestyle=":", label=f"steepest descent {result['steepest']:.1e}")
    ax.axvline(
        result["lr_head"],
        color="#f59e0b",
        linestyle="--",
        label=f"suggested ({result['method']}) {result['lr_head']:.1e}",
    )
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    smoothed = result["smoothed"]
    low, high = min(result["losses"] + smoothed), max(smoothed[: max(1, len(smoothed) // 10)])
    ax.set_ylim(low - 0.1 * (high - low + 1e-9), high + 0.5 * (high - low + 1e-9))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, which="both")
    return fig
