"""Gradio's uploaded files: a folder upload (`gr.File(file_count="directory")`) rebuilt as an ImageFolder, and
uploads deleted from gradio's upload folder once used. What is kept, where and for how long is
`cnnapp.jobs.uploads`'s."""

from __future__ import annotations

from pathlib import Path

from gradio.utils import get_upload_folder

from cnnapp.errors import DataError
from cnnapp.jobs import uploads
from cnnapp.ui.i18n import say
from cnnapp.ui.theme import PATH_SEP


def relative_parts(uploaded: str | Path) -> list[str] | None:
    """The sub-folder path the browser encoded into an uploaded file's name (None if there is none or it is unsafe)."""
    parts = Path(uploaded).name.split(PATH_SEP)
    if len(parts) < 2 or any(p in ("", ".", "..") for p in parts):
        return None
    return parts


def rebuild_folder(files: list[str], root: Path | None = None) -> Path:
    """Copy uploaded files back into their folders under `<workspace>/datasets/folder-<digest>/`. Raises DataError."""
    kept = [(f, parts) for f in files if (parts := relative_parts(f))]
    if not kept:
        raise DataError(say("data.no_folders"))
    try:
        return uploads.store_folder(kept, root)
    except OSError as exc:
        raise DataError(say("data.not_stored", reason=exc.strerror or exc)) from None


def discard(*paths: str | Path | None) -> None:
    """Delete uploaded files from gradio's upload folder once their grace has passed (other paths are left alone)."""
    uploads.discard(*paths, folder=Path(get_upload_folder()))
