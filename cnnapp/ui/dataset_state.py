"""The chosen dataset and augmentation, as the tabs share them: `{"path", "source", "name"}` in `UIContext.dataset`
and a preset or spec in `UIContext.augment`."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from cnnapp import workspace
from cnnapp.data.examples import is_bundled
from cnnapp.data.ingest import Dataset, ingest
from cnnapp.errors import CnnappError, DataError
from cnnapp.ui.common import EXAMPLE_DATASET
from cnnapp.ui.i18n import DEFAULT, T, say
from cnnapp.ui.strings import STRINGS

EXAMPLE_NAME = STRINGS[DEFAULT]["data.example_name"]  # in English; the tabs show `example_name()`
SAVED_KEY = "cnnapp-dataset"  # localStorage key of the chosen dataset
# `cnnapp.data.transforms.PRESETS`, shown by name in the page's language (the value stays the preset's key)
AUGMENT_CHOICES = [(T(f"data.preset_{key}"), key) for key in ("none", "light", "medium", "strong")]


def example_name() -> str:
    """The bundled example's name in the page's language: the name a dataset chosen in that page carries (into
    its summary, the Train and Compare tabs and the names of the runs trained on it)."""
    return say("data.example_name")


def is_example(path: str | Path) -> bool:
    return is_bundled(path)


def default_dataset() -> dict[str, Any] | None:
    """The bundled example, preselected so that a new user can train at once."""
    if not EXAMPLE_DATASET.is_dir():
        return None
    return {"path": str(EXAMPLE_DATASET), "source": str(EXAMPLE_DATASET), "name": example_name()}


@functools.lru_cache(maxsize=8)
def _ingest(source: str, root: Path, stamp: int) -> Dataset:
    return ingest(source, root=root)  # the report and its messages name the upload, not its extraction folder


def load_dataset(source: str | Path, root: Path) -> Dataset:
    """Ingest a folder or `.zip` (extracted into `root`) once; uploads and the example never change afterwards.

    Raises DataError (IngestError, with the report, when nothing usable was found).
    """
    try:
        stamp = Path(source).stat().st_mtime_ns
    except FileNotFoundError:
        raise DataError(say("data.expired")) from None
    return _ingest(str(source), root, stamp)


def chosen(found: Dataset, source: str | Path, name: str) -> dict[str, Any]:
    """The value stored in `UIContext.dataset` for an ingested dataset (the example named in the page's language)."""
    return {"path": found.root, "source": str(source), "name": example_name() if is_example(found.root) else name}


def describe(dataset: dict[str, Any] | None, root: Path) -> str:
    """One line for other tabs: which data a training will use."""
    if not dataset:
        return say("data.none_chosen")
    found = load_dataset(dataset["source"], root)
    images = sum(len(s) for s in found.splits.values())
    name = example_name() if is_example(dataset["path"]) else dataset["name"]  # a value kept from the page's build
    return say("data.line", name=name, classes=len(found.classes), images=images)


def restore(saved: Any, root: Path) -> dict[str, Any] | None:
    """The dataset a browser saved, if still usable and the example or inside the workspace; else the default.

    (The browser's copy is not trusted: a path elsewhere on the server is never used.)
    """
    if not (isinstance(saved, dict) and isinstance(saved.get("path"), str) and isinstance(saved.get("name"), str)):
        return default_dataset()
    path = Path(saved["path"])
    example = is_example(path)
    if not (example or workspace.is_within(path, workspace.datasets_dir(root))) or not path.is_dir():
        return default_dataset()
    try:
        load_dataset(path, root)
    except CnnappError:
        return default_dataset()
    return {"path": str(path), "source": str(path), "name": example_name() if example else saved["name"]}
