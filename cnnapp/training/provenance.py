"""A run's identity: a name people can read, and the dataset it was trained on (name, size, content hash).

Both live in the run's status.json (`name`, `dataset`), written when the run is queued; the name can
be changed later (`rename`). Runs made before this, or by the command line, get their default name. A default name
is also stored as a message code (`name_code`), so that a page says its parts in its language; a typed name has none.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cnnapp.data.examples import BUNDLED_NAME, is_bundled
from cnnapp.errors import ConfigError
from cnnapp.messages import Message, msg
from cnnapp.runs import RunDir
from cnnapp.training.config import TrainConfig

MAX_NAME = 80
CONTENT_BUDGET = 256 * 1024**2  # bytes: a dataset up to this size is hashed by content, a bigger one by file metadata


def training_mode(cfg: TrainConfig | dict[str, Any]) -> Message:
    """'from scratch', 'frozen', 'frozen, then unfrozen' or 'fine-tuned'."""
    values = cfg if isinstance(cfg, dict) else cfg.to_dict()
    if not (values.get("pretrained") or values.get("weights")):
        return msg("mode.scratch")
    if values.get("freeze"):
        return msg("mode.frozen_unfrozen" if values.get("unfreeze_epochs") else "mode.frozen")
    return msg("mode.fine_tuned")


def default_name(cfg: TrainConfig, dataset_name: str, detail: str | None = None) -> Message:
    """E.g. 'EfficientNet-Lite0 · shapes.zip · frozen', or with `detail` (what tells the runs of one request apart,
    e.g. the optimizer of a race's run) 'LeNet-5 · shapes.zip · from scratch · SGD'."""
    from cnnapp.models.registry import display_name  # imports torch: only when a run is queued

    dataset = msg("dataset.example") if is_bundled(cfg.data) else dataset_name  # said in each page's language
    values = {"arch": display_name(cfg.arch), "dataset": dataset, "mode": training_mode(cfg)}
    return msg("name.detailed", **values, detail=detail) if detail else msg("name.default", **values)


def _named(
    run: RunDir, name: Any, cfg: TrainConfig, dataset_name: str, detail: str | None = None, **fields: Any
) -> str:
    """Store the run's name (the default when blank, with its code) with `fields`; returns the name."""
    typed = clean_name(name)
    default = None if typed else default_name(cfg, dataset_name, detail)
    text = typed or str(default)
    run.update_status(name=text, name_code=default.to_dict() if default else None, **fields)
    return text


def clean_name(name: Any) -> str:
    """A run name as given, trimmed to one line. Raises ConfigError when too long."""
    text = " ".join(str(name or "").split())
    if len(text) > MAX_NAME:
        raise ConfigError(msg("name.too_long", length=len(text), limit=MAX_NAME))
    return text


def fingerprint(folder: str | Path, name: str | None = None) -> dict[str, Any]:
    """The dataset as recorded in a run: its name, file count, size in bytes and a SHA-256 identity.

    Up to `CONTENT_BUDGET` bytes in all (the example, most uploads) the hash covers every file's path and
    content; a bigger dataset, which would take long to read when a run is queued, is hashed from its
    paths, sizes and modification times instead, and `hashed` says which.
    """
    folder = Path(folder)
    # an uploaded .zip that its training process has yet to extract is fingerprinted as that one file
    files = (
        [(folder, folder.stat())]
        if folder.is_file()
        else sorted((p, p.stat()) for p in folder.rglob("*") if p.is_file())
    )
    total = sum(stat.st_size for _, stat in files)
    contents = total <= CONTENT_BUDGET
    digest = hashlib.sha256()
    for path, stat in files:
        if contents:
            with path.open("rb") as f:
                identity = hashlib.file_digest(f, "sha256").digest()
        else:
            identity = f"{stat.st_size}:{stat.st_mtime_ns}".encode()
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + identity)
    return {
        "name": name or folder.name,
        "files": len(files),
        "bytes": total,
        "sha256": digest.hexdigest(),
        "hashed": "contents" if contents else "names, sizes and times",
    }


def record(
    run: RunDir, cfg: TrainConfig, name: Any = None, dataset_name: str | None = None, detail: str | None = None
) -> None:
    """Write the run's name (the default when blank; `detail` see `default_name`) and its dataset's fingerprint into
    its status. The bundled example is recorded by its English name whatever page started the run (`BUNDLED_NAME`):
    pages say it in their language."""
    dataset = fingerprint(cfg.data, BUNDLED_NAME if is_bundled(cfg.data) else dataset_name)
    _named(run, name, cfg, dataset["name"], detail, dataset=dataset)


def rename(run: RunDir, name: Any) -> str:
    """Give a run a new name (blank: its default name); returns the name."""
    cfg = run.config()
    dataset = run.status().get("dataset") or {}
    return _named(run, name, TrainConfig.from_dict(cfg), dataset.get("name") or Path(cfg.get("data", "")).name)
