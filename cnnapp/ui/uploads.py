"""Uploads: rebuild an uploaded folder (`gr.File(file_count="directory")`) as an ImageFolder in the workspace, and
delete uploads once used."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from gradio.utils import get_upload_folder

from cnnapp import workspace
from cnnapp.errors import DataError
from cnnapp.ui.theme import PATH_SEP


def relative_parts(uploaded: str | Path) -> list[str] | None:
    """The sub-folder path the browser encoded into an uploaded file's name, or None if there is none or it is unsafe."""
    parts = Path(uploaded).name.split(PATH_SEP)
    if len(parts) < 2 or any(p in ("", ".", "..") for p in parts):
        return None
    return parts


def rebuild_folder(files: list[str], root: Path | None = None) -> Path:
    """Copy uploaded files back into their folders under `<workspace>/datasets/folder-<digest>/`. Raises DataError."""
    placed = [(f, relative_parts(f)) for f in files]
    kept = [(f, parts) for f, parts in placed if parts]
    if not kept:
        raise DataError(
            "the browser sent the files without their folders, so the classes are unknown; "
            "upload the folder as a .zip instead"
        )
    base = workspace.datasets_dir(root)
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".folder-", dir=base))
    digest = hashlib.sha256()
    try:
        for f, parts in sorted(kept, key=lambda item: item[1]):
            dest = tmp.joinpath(*parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            data = Path(f).read_bytes()
            digest.update("/".join(parts).encode() + b"\0" + hashlib.sha256(data).digest())
            dest.write_bytes(data)
        target = base / f"folder-{digest.hexdigest()[:16]}"
        if not target.is_dir():  # the same upload seen before is reused
            os.replace(tmp, target)
    except OSError as exc:
        raise DataError(f"could not store the uploaded folder ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def discard(*uploads: str | Path | None) -> None:
    """Delete uploaded files (and their folders when emptied) from gradio's upload folder; other paths are left alone.

    Once deleted, a later request naming the same temporary path finds nothing to use.
    """
    folder = Path(get_upload_folder())
    for upload in uploads:
        if not upload or not workspace.is_within(Path(upload), folder):
            continue
        path = Path(upload).resolve()
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # another file still in it
            if path.parent != folder.resolve():
                path.parent.rmdir()
