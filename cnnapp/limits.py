"""Resource limits for a shared server, one policy for the CLI, the UI and the HTTP API.

Each limit is a `cnnapp.settings` field with an environment variable and a default sized for a 2-vCPU
Hugging Face Space (README, "Limits"). A request over a limit is refused before anything is queued,
with a one-line `LimitError` naming the limit and its variable.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from cnnapp import settings
from cnnapp.errors import ConfigError, LimitError
from cnnapp.settings import Settings

JSON_MAX_DEPTH = 8  # a config is one flat object; deeper nesting is never meaningful
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


def over(what: str, value: Any, limit: Any, name: str, unit: str = "") -> LimitError:
    """The refusal for `what` = `value` above `limit` (the setting `name`, named by its variable)."""
    variable = settings.ENV_NAMES[name]
    return LimitError(f"{what} {value}{unit} is over this server's limit of {limit}{unit} (set by {variable})")


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
            raise over(what, value, limit, name)
    if cfg.device != "cuda":
        _check_memory(cfg, limits)


def training_memory(arch: str, img_size: int, batch_size: int, backbone_trains: bool) -> int:
    """A conservative estimate of one training step's activation memory in bytes.

    A trained backbone keeps every layer's output for the backward pass (and gets its gradient);
    a frozen one is only run forward, holding about two layers' outputs at a time.
    """
    from cnnapp.registry import activation_sizes

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
        raise LimitError(
            f"batch_size {cfg.batch_size} at img_size {cfg.img_size} needs about {need / 1024**3:.1f} GiB for "
            f"{cfg.arch}'s activations, over this server's {budget / 1024**3:.1f} GiB for one training "
            f"(set by {settings.ENV_NAMES['max_train_memory']}); lower batch_size or img_size"
        )


def check_dataset(files: int, size: int, classes: int, limits: Settings | None = None) -> None:
    """Refuse a dataset with too many files, bytes or classes."""
    limits = limits or settings.get()
    if files > limits.max_dataset_files:
        raise over("the dataset's image count", f"{files:,}", f"{limits.max_dataset_files:,}", "max_dataset_files")
    if size > limits.max_dataset_bytes:
        raise over(
            "the dataset's size",
            f"{size / 1024**2:,.0f}",
            f"{limits.max_dataset_bytes / 1024**2:,.0f}",
            "max_dataset_bytes",
            " MiB",
        )
    if classes > limits.max_classes:
        raise over("the dataset's class count", f"{classes:,}", f"{limits.max_classes:,}", "max_classes")


def check_free_space(folder: Path, limits: Settings | None = None) -> None:
    """Refuse to start work when the disk holding `folder` has less free space than the limit."""
    limits = limits or settings.get()
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if free < limits.min_free_disk:
        raise LimitError(
            f"the disk is full ({free / 1024**2:,.0f} MiB free, this server needs "
            f"{limits.min_free_disk / 1024**2:,.0f} MiB, set by {settings.ENV_NAMES['min_free_disk']}): "
            "delete runs or exports and try again"
        )


def load_json(text: str, what: str, limits: Settings | None = None) -> Any:
    """Parse JSON `text` after bounding its size and nesting depth. Raises LimitError or ConfigError."""
    limits = limits or settings.get()
    if len(text.encode()) > limits.max_config_bytes:
        raise over(
            f"{what} size",
            f"{len(text.encode()):,}",
            f"{limits.max_config_bytes:,}",
            "max_config_bytes",
            " bytes",
        )
    if _depth(text) > JSON_MAX_DEPTH:
        raise LimitError(f"{what} nests deeper than {JSON_MAX_DEPTH} levels; send a flat object of options")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{what} is not valid JSON ({exc})") from None


def _depth(text: str) -> int:
    """The deepest bracket nesting of JSON text (brackets inside strings ignored)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def check_top_k(value: Any) -> int:
    """`top_k` as a whole number ≥ 1 (the same rule for the CLI, the UI and the API). Raises ConfigError."""
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not float(number).is_integer():
        raise ConfigError(f"top_k must be a whole number, got {value!r}")
    if number < 1:
        raise ConfigError(f"top_k must be at least 1, got {int(number)}")
    return int(number)
