"""Resource limits for a shared server, one policy for the CLI, the UI and the HTTP API.

Each limit is a `cnnapp.settings` field with an environment variable and a default sized for a 2-vCPU
Hugging Face Space (README, "Limits"). A request over a limit is refused before anything is queued,
with a one-line `LimitError` naming the limit and its variable.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from cnnapp import settings
from cnnapp.errors import ConfigError, LimitError
from cnnapp.messages import Message, msg, text
from cnnapp.settings import Settings

JSON_MAX_DEPTH = 8  # a config is one flat object; deeper nesting is never meaningful


def over(what: str | Message, value: Any, limit: Any, name: str, unit: str = "") -> LimitError:
    """The refusal for `what` = `value` above `limit` (the setting `name`, named by its variable)."""
    variable = settings.ENV_NAMES[name]
    return LimitError(msg("limit.over", what=text(what), value=value, limit=limit, unit=unit, variable=variable))


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
        need, variable = limits.min_free_disk / 1024**2, settings.ENV_NAMES["min_free_disk"]
        raise LimitError(msg("limit.disk", free=free / 1024**2, need=need, variable=variable))


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
        raise LimitError(msg("limit.json_depth", what=what, depth=JSON_MAX_DEPTH))
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError(msg("json.invalid", what=what, problem=str(exc))) from None


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
        raise ConfigError(msg("top_k.not_whole", value=repr(value)))
    if number < 1:
        raise ConfigError(msg("top_k.too_small", value=int(number)))
    return int(number)
