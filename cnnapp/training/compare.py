"""The course's experiment grid — transfer learning T/F × fine-tuning T/F — and side-by-side comparison of runs."""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import torch

from cnnapp.errors import ConfigError
from cnnapp.messages import Message, msg
from cnnapp.models.factory import head_of
from cnnapp.models.registry import build, get_spec
from cnnapp.runs import RunDir
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.evaluate import as_run

SETTINGS = {
    "a": "(a) from scratch",
    "b": "(b) pretrained, frozen backbone",
    "c": "(c) pretrained, full fine-tuning",
    "d": "(d) pretrained, frozen then unfrozen",
}
TABLE_COLUMNS = [
    "run_id",
    "setting",
    "state",
    "arch",
    "pretrained",
    "freeze",
    "stages",
    "lr_head",
    "lr_backbone",
    "optimizer",
    "epochs",
    "trainable_params",
    "total_params",
    "balance",
    "best_val_acc",
    "best_val_balanced_acc",
    "best_val_macro_f1",
    "test_acc",
    "train_seconds",
]


def grid(base: TrainConfig) -> list[tuple[str, TrainConfig]]:
    """The four labelled configs of the grid on `base`'s data, architecture and other options.

    (a) pretrained off, every layer trained at `lr_head`; (b) pretrained, backbone frozen (feature
    extraction); (c) pretrained, everything trained, the backbone at `lr_backbone` (default lr_head/10);
    (d) `epochs` frozen, then `unfreeze_epochs` (default: `epochs` again) unfrozen at `lr_backbone`.
    "Pretrained" means ImageNet weights, or `base.weights` when a local file is given.
    """
    spec = get_spec(base.arch)
    if not (base.weights or spec.pretrained_offline or spec.pretrained_online):
        raise ConfigError(msg("compare.no_weights", arch=base.arch))
    return _cells(base)


def _cells(base: TrainConfig) -> list[tuple[str, TrainConfig]]:
    pre = {"pretrained": not base.weights, "weights": base.weights}
    return [
        (
            SETTINGS["a"],
            dataclasses.replace(
                base, pretrained=False, weights=None, freeze=False, unfreeze_epochs=0, lr_backbone=None
            ),
        ),
        (SETTINGS["b"], dataclasses.replace(base, **pre, freeze=True, unfreeze_epochs=0)),
        (SETTINGS["c"], dataclasses.replace(base, **pre, freeze=False, unfreeze_epochs=0)),
        (
            SETTINGS["d"],
            dataclasses.replace(base, **pre, freeze=True, unfreeze_epochs=base.unfreeze_epochs or base.epochs),
        ),
    ]


def plan(base: TrainConfig) -> list[tuple[str, TrainConfig | None, Message | str]]:
    """Each setting of the grid with its checked config, or None and why it cannot run (e.g. no weights offline), as
    a message a page says in its language."""
    from cnnapp.models.registry import pretrained_problem

    cells = []
    for label, cfg in _cells(base):
        problem = None
        try:
            problem = pretrained_problem(cfg.arch) if cfg.pretrained else None
            cells.append((label, resolve(cfg), ""))
        except ConfigError as exc:
            cells.append((label, None, problem or exc.message))
    return cells


def setting_of(cfg: dict) -> str:
    """Which grid setting a run's config.json is (or a plain description for other combinations)."""
    pretrained = bool(cfg.get("pretrained") or cfg.get("weights"))
    if not pretrained:
        return SETTINGS["a"] if not cfg.get("freeze") else "from scratch, frozen"
    if not cfg.get("freeze"):
        return SETTINGS["c"]
    return SETTINGS["d"] if cfg.get("unfreeze_epochs") else SETTINGS["b"]


@functools.cache
def param_counts(arch: str, num_classes: int) -> tuple[int, int]:
    """(head parameters, all parameters) of `arch` with `num_classes` outputs, counted on the meta device."""
    spec = get_spec(arch)
    with torch.device("meta"):
        model = build(spec, num_classes)
    return sum(p.numel() for p in head_of(model, spec).parameters()), sum(p.numel() for p in model.parameters())


def _stages(cfg: dict) -> str:
    from cnnapp.training.train import plan_stages

    stages = plan_stages(TrainConfig.from_dict(cfg))
    return " → ".join(f"{s.name} ×{s.epochs}" for s in stages)


def _row(run: RunDir) -> dict:
    summary = run.summary()
    cfg = run.config()
    report = run.report() or {}
    row = {k: summary.get(k) for k in TABLE_COLUMNS if k in summary}
    row.update(
        setting=setting_of(cfg),
        balance=cfg.get("balance", "none"),  # configs from before the option: none
        stages=None,
        trainable_params=None,
        total_params=None,
        train_seconds=report.get("train_seconds", summary.get("duration_s")),
    )
    if cfg.get("arch") and run.labels():
        head, total = param_counts(cfg["arch"], len(run.labels()))
        row.update(
            stages=_stages(cfg),
            total_params=total,
            trainable_params=head if cfg.get("freeze") and not cfg.get("unfreeze_epochs") else total,
        )
    return row


def comparison_table(runs: Iterable[RunDir | str | Path]) -> pd.DataFrame:
    """One row per run: settings, schedule, learning rates, parameters (trainable = the most any stage trains),
    class balancing, accuracy beside balanced accuracy and macro-F1 (the best epoch's, on val), time."""
    return pd.DataFrame([_row(as_run(r)) for r in runs], columns=TABLE_COLUMNS)


def val_curves(runs: Iterable[RunDir | str | Path]) -> pd.DataFrame:
    """Validation accuracy per epoch of several runs, long format: columns run, run_id, epoch, val_acc."""
    frames = []
    for r in runs:
        run = as_run(r)
        m = run.metrics()[["epoch", "val_acc"]].dropna()
        frames.append(m.assign(run_id=run.id, setting=setting_of(run.config())))
    if not frames:
        return pd.DataFrame(columns=["run", "run_id", "epoch", "val_acc"])
    data = pd.concat(frames, ignore_index=True)
    unique = data.groupby("setting")["run_id"].nunique() == 1
    data["run"] = [s if unique[s] else f"{s} · {rid}" for s, rid in zip(data["setting"], data["run_id"])]
    return data.astype({"epoch": int, "val_acc": float})[["run", "run_id", "epoch", "val_acc"]]


def export_csv(table: pd.DataFrame, path: Path | str) -> Path:
    """Write a comparison table as CSV and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return path


def queue_grid(base: TrainConfig, submit: Callable[[TrainConfig], RunDir]) -> list[RunDir]:
    """Resolve the four configs (a bad option fails before any run exists), then pass each, resolved, to `submit`.

    `submit` is the app's `JobManager.submit`, or `run_grid`'s in-process training.
    """
    configs = [resolve(cfg) for _, cfg in grid(base)]
    return [submit(cfg) for cfg in configs]


def run_grid(base: TrainConfig, progress: bool = True) -> list[RunDir]:
    """Train the four settings one after another in this process, through the same `train()` as `cnnapp train`.

    The runs share the seed, hence the same train/val split. A failed run is recorded in its run
    directory and the grid goes on.
    """
    from cnnapp.training.train import train

    def one(cfg: TrainConfig) -> RunDir:
        print(f"== {setting_of(cfg.to_dict())} ==", file=sys.stderr, flush=True)
        return train(cfg, progress=progress, resolved=True)[0]

    return queue_grid(base, one)
