"""What one training may take on this server: epochs, workers, sizes and activation memory (`cnnapp.limits`'s
policy for trainings, here because it asks the registry how large an architecture's activations are)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cnnapp import settings
from cnnapp.errors import LimitError
from cnnapp.limits import over
from cnnapp.messages import msg
from cnnapp.settings import Settings

MEMORY_FRACTION = 0.6  # share of the machine's memory one training's activations may take, by default
BYTES_PER_ACTIVATION = 8  # fp32 activation kept for the backward pass + its gradient


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def max_workers(limits: Settings) -> int:
    """The most DataLoader workers one run may start (`CNNAPP_MAX_WORKERS`, by default the cores)."""
    return _cores() if limits.max_workers is None else limits.max_workers


def max_train_memory(limits: Settings) -> int:
    """Bytes of activation memory one training may need (`CNNAPP_MAX_TRAIN_MEMORY`, by default a share of memory)."""
    return int(MEMORY_FRACTION * machine_memory()) if limits.max_train_memory is None else limits.max_train_memory


def check_training(cfg: Any, limits: Settings | None = None) -> None:
    """Refuse a resolved TrainConfig that exceeds the limits (epochs, workers, sizes, activation memory)."""
    limits = limits or settings.get()
    for what, value, limit, name in (
        ("epochs", cfg.epochs, limits.max_epochs, "max_epochs"),
        ("unfreeze_epochs", cfg.unfreeze_epochs, limits.max_epochs, "max_epochs"),
        ("workers", cfg.workers, max_workers(limits), "max_workers"),
        ("img_size", cfg.img_size, limits.max_img_size, "max_img_size"),
        ("batch_size", cfg.batch_size, limits.max_batch_size, "max_batch_size"),
    ):
        if value > limit:
            raise over(msg(f"option.{what}"), value, limit, name)
    if cfg.device != "cuda":
        _check_memory(cfg, limits)


def training_memory(arch: str, img_size: int, batch_size: int, backbone_trains: bool) -> int:
    """A conservative estimate of one training step's activation memory in bytes.

    A trained backbone keeps every layer's output for the backward pass (and gets its gradient);
    a frozen one is only run forward, holding about two layers' outputs at a time.
    """
    from cnnapp.models.registry import activation_sizes

    total, peak = activation_sizes(arch, img_size)
    per_image = total if backbone_trains else 2 * peak
    return batch_size * per_image * BYTES_PER_ACTIVATION


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its container's limit when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        cgroup = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        return min(total, int(cgroup)) if cgroup.isdigit() else total
    except OSError:
        return total


def _check_memory(cfg: Any, limits: Settings) -> None:
    backbone_trains = not cfg.freeze or cfg.unfreeze_epochs > 0
    need = training_memory(cfg.arch, cfg.img_size, cfg.batch_size, backbone_trains)
    budget = max_train_memory(limits)
    if need > budget:
        sizes = {"batch_size": cfg.batch_size, "img_size": cfg.img_size, "arch": cfg.arch}
        variable = settings.ENV_NAMES["max_train_memory"]
        raise LimitError(msg("budget.memory", **sizes, need=need / 1024**3, budget=budget / 1024**3, variable=variable))
