"""Where cnnapp keeps its files: runs, extracted datasets, caches."""

from __future__ import annotations

import os
from pathlib import Path

from cnnapp import settings


def home() -> Path:
    """The workspace root: `$CNNAPP_HOME`, else `/data/cnnapp` on a Space with storage, else `.`."""
    chosen = settings.get().home
    if chosen:
        return chosen.resolve()
    data = Path("/data")
    if data.is_dir() and os.access(data, os.W_OK):
        return data / "cnnapp"
    return Path.cwd().resolve()


def runs_dir(root: Path | None = None) -> Path:
    """The folder holding one sub-folder per run."""
    return (root or home()) / "runs"


def datasets_dir(root: Path | None = None) -> Path:
    """The folder where uploaded archives are extracted."""
    return (root or home()) / "datasets"


def cache_dir(root: Path | None = None) -> Path:
    """The folder for decoded-image caches too large for memory."""
    return (root or home()) / "cache"


def is_within(path: Path, root: Path) -> bool:
    """True when `path` resolves to `root` or a location inside it."""
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return False
    return True
