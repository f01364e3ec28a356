"""A dataset made by hand (webcam, uploads, clipboard): an ImageFolder at `<workspace>/datasets/made-<name>-<id>/`.

Classes are sub-folders; examples are JPEG files named so that they sort by capture time. `export_zip` packs the
folder as a `.zip` in ImageFolder layout, which is what the app ingests, downloads and trains on (like an upload).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from cnnapp import quotas, settings, workspace
from cnnapp.data.archive import file_digest
from cnnapp.data.images import has_image_extension, load_rgb, to_rgb
from cnnapp.data.ingest import SPLIT_NAMES
from cnnapp.errors import DataError
from cnnapp.files import atomic_write
from cnnapp.messages import Message, msg

PREFIX = "made-"
MIN_PER_CLASS = 10
MIN_CLASSES = 2
MAX_SIDE = 512  # examples are stored no larger: training sizes are far below, and files stay small
JPEG_QUALITY = 90
PICTURE_BYTES = 150 * 1024  # what a stored example takes at most, about (a 512-px JPEG at quality 90)
MAX_NAME = 40
CLASS_NAME, DATASET_NAME = msg("builder.what_class"), msg("builder.what_dataset")
_NAME = re.compile(r"[^\W_][\w .-]*", re.UNICODE)
_FOLDER = re.compile(rf"{PREFIX}(?P<name>.+)-(?P<id>[0-9a-f]{{8}})")
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed member dates: the same content gives the same archive (and digest)
ImageInput = str | Path | Image.Image | np.ndarray


def check_name(name: str | None, what: Message = CLASS_NAME) -> str:
    """`name` stripped, if it is a safe folder name (no path, no split or hidden name). Raises DataError."""
    name = (name or "").strip()
    if not name:
        raise DataError(msg("builder.name_empty", what=what))
    if len(name) > MAX_NAME:
        raise DataError(msg("builder.name_too_long", what=what, name=name[:MAX_NAME], limit=MAX_NAME))
    if not _NAME.fullmatch(name) or name.endswith((".", " ")):
        raise DataError(msg("builder.name_not_folder", what=what, name=name))
    if name.lower() in SPLIT_NAMES:
        raise DataError(msg("builder.name_reserved", what=what, name=name))
    return name


def _to_image(item: ImageInput) -> Image.Image:
    """An RGB picture from a file (through the safe loader), a PIL image or an array."""
    if isinstance(item, (str, Path)):
        return load_rgb(item)
    if isinstance(item, np.ndarray):
        if item.ndim not in (2, 3) or item.size == 0:
            raise DataError(msg("builder.empty_picture"))
        return to_rgb(Image.fromarray(item if item.dtype == np.uint8 else np.clip(item, 0, 255).astype(np.uint8)))
    if isinstance(item, Image.Image):
        return to_rgb(item)
    raise DataError(msg("builder.cannot_read", kind=type(item).__name__))


class Builder:
    """One hand-made dataset folder; every method validates names and stays inside the folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @property
    def name(self) -> str:
        return _FOLDER.fullmatch(self.folder.name)["name"]

    @classmethod
    def create(cls, name: str, root: Path | None = None) -> Builder:
        """A new, empty dataset called `name` in the workspace. Raises DataError for an unsafe name."""
        folder = workspace.datasets_dir(root) / f"{PREFIX}{check_name(name, DATASET_NAME)}-{secrets.token_hex(4)}"
        folder.mkdir(parents=True)
        return cls(folder)

    @classmethod
    def open(cls, folder: str | Path | None, root: Path | None = None) -> Builder | None:
        """The dataset at `folder` if it is a hand-made dataset folder of this workspace, else None."""
        if not folder:
            return None
        path = Path(folder)
        base = workspace.datasets_dir(root).resolve()
        if not _FOLDER.fullmatch(path.name) or path.resolve().parent != base or not path.is_dir():
            return None
        return cls(base / path.name)

    def renamed(self, name: str) -> Builder:
        """The same dataset under a new name (its folder moves). Raises DataError."""
        name = check_name(name, DATASET_NAME)
        if name == self.name:
            return self
        target = self.folder.with_name(f"{PREFIX}{name}-{_FOLDER.fullmatch(self.folder.name)['id']}")
        os.replace(self.folder, target)
        return Builder(target)

    def classes(self) -> list[str]:
        """Class names, sorted as ImageFolder sorts them."""
        return sorted(e.name for e in os.scandir(self.folder) if e.is_dir() and _NAME.fullmatch(e.name))

    def _class_dir(self, name: str) -> Path:
        if name not in self.classes():
            raise DataError(msg("builder.no_class", name=name))
        return self.folder / name

    def _check_new(self, name: str | None) -> str:
        name = check_name(name)
        if name.lower() in (c.lower() for c in self.classes()):
            raise DataError(msg("builder.class_exists", name=name))
        return name

    def add_class(self, name: str | None) -> str:
        """Add an empty class; returns its (stripped) name. Raises DataError for a bad or taken name."""
        name = self._check_new(name)
        (self.folder / name).mkdir()
        return name

    def rename_class(self, old: str, new: str | None) -> str:
        """Rename a class, keeping its examples; returns the new name. Raises DataError."""
        source = self._class_dir(old)
        new = check_name(new)
        if new == old:
            return new
        if new.lower() != old.lower():
            self._check_new(new)
        os.replace(source, self.folder / new)
        return new

    def delete_class(self, name: str) -> None:
        """Delete a class and all its examples. Raises DataError for an unknown class."""
        shutil.rmtree(self._class_dir(name))

    def examples(self, name: str) -> list[Path]:
        """A class's example files, oldest first."""
        return sorted(p for p in self._class_dir(name).iterdir() if p.is_file() and has_image_extension(p.name))

    def add_examples(self, name: str, items: Iterable[ImageInput]) -> tuple[int, list[str]]:
        """Save pictures (files, PIL images or arrays) into a class as JPEG, at most MAX_SIDE px on a side.

        Returns how many were added and one reason per picture that was not (unreadable, too large …).
        """
        folder = self._class_dir(name)
        items = list(items)
        quotas.make_room(len(items) * PICTURE_BYTES)  # the workspace's budget for inputs, before writing any
        added, problems = 0, []
        have, total = len(self.examples(name)), sum(self.counts().values())
        for item in items:
            full = self._full(name, have + added, total + added)
            if full:
                problems.append(full)
                break
            try:
                image = _to_image(item)
            except DataError as exc:
                label = Path(item).name if isinstance(item, (str, Path)) else "picture"
                problems.append(f"{label}: {exc}")
                continue
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR)
            target = folder / f"{time.time_ns():020d}-{secrets.token_hex(3)}.jpg"
            with atomic_write(target) as tmp:
                image.save(tmp, format="JPEG", quality=JPEG_QUALITY)
            added += 1
        return added, problems

    @staticmethod
    def _full(name: str, in_class: int, in_all: int) -> str | None:
        """Why no further picture fits (this server's caps), or None."""
        limits = settings.get()
        if in_class >= limits.builder_max_per_class:
            return (
                f"'{name}' holds {in_class} pictures, the most one class may hold here "
                f"(set by {settings.ENV_NAMES['builder_max_per_class']}); delete some or add another class"
            )
        if in_all >= limits.builder_max_pictures:
            return (
                f"this dataset holds {in_all} pictures, the most a dataset made here may hold "
                f"(set by {settings.ENV_NAMES['builder_max_pictures']}); train on it, or delete some"
            )
        return None

    def delete_example(self, name: str, filename: str) -> None:
        """Delete one example of a class by its file name. Raises DataError when it is not there."""
        path = self._class_dir(name) / Path(filename).name
        if path.name != filename or not path.is_file():
            raise DataError(msg("builder.not_example", filename=filename, name=name))
        path.unlink()

    def counts(self) -> dict[str, int]:
        """Examples per class."""
        return {name: len(self.examples(name)) for name in self.classes()}

    def warnings(self) -> list[str]:
        """What still stands between this dataset and a useful classifier (empty when nothing does)."""
        counts = self.counts()
        found = []
        if len(counts) < MIN_CLASSES:
            found.append(f"add at least {MIN_CLASSES} classes (you have {len(counts)})")
        found += [
            f"class '{name}' has {n} image(s); add at least {MIN_PER_CLASS} (20+ is better)"
            for name, n in counts.items()
            if n < MIN_PER_CLASS
        ]
        return found

    def export_zip(self) -> Path:
        """The dataset as `<workspace>/datasets/exports/<digest>/<name>.zip` (`<name>/<class>/<image>` inside).

        The same content always gives the same file, so choosing it again reuses its extraction.
        """
        if not any(self.counts().values()):
            raise DataError(msg("builder.no_pictures"))
        exports = self.folder.parent / "exports"
        exports.mkdir(exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".zip-", dir=exports)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:  # JPEGs do not shrink
                for label in self.classes():
                    for path in self.examples(label):
                        zf.writestr(zipfile.ZipInfo(f"{self.name}/{label}/{path.name}", _ZIP_DATE), path.read_bytes())
            target = exports / file_digest(tmp) / f"{self.name}.zip"
            if not target.is_file():
                target.parent.mkdir(exist_ok=True)
                os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target
