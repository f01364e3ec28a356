"""Uploads: rebuild an uploaded folder (`gr.File(file_count="directory")`) as an ImageFolder in the workspace, and
delete uploads once used."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from gradio.utils import get_upload_folder

from cnnapp import workspace
from cnnapp.errors import DataError
from cnnapp.ui.i18n import say
from cnnapp.ui.theme import PATH_SEP

UPLOAD_GRACE_S = 300.0  # how long an API upload stays after its request (identical uploads share one path)
_DUE: dict[Path, float] = {}  # upload → when to delete it
_DUE_LOCK = threading.Lock()
_reaper: threading.Thread | None = None


def relative_parts(uploaded: str | Path) -> list[str] | None:
    """The sub-folder path the browser encoded into an uploaded file's name (None if there is none or it is unsafe)."""
    parts = Path(uploaded).name.split(PATH_SEP)
    if len(parts) < 2 or any(p in ("", ".", "..") for p in parts):
        return None
    return parts


def rebuild_folder(files: list[str], root: Path | None = None) -> Path:
    """Copy uploaded files back into their folders under `<workspace>/datasets/folder-<digest>/`. Raises DataError."""
    placed = [(f, relative_parts(f)) for f in files]
    kept = [(f, parts) for f, parts in placed if parts]
    if not kept:
        raise DataError(say("data.no_folders"))
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
        raise DataError(say("data.not_stored", reason=exc.strerror or exc)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def discard(*uploads: str | Path | None, grace: float | None = None) -> None:
    """Delete uploaded files from gradio's upload folder `grace` seconds from now (other paths are left alone).

    Gradio stores an upload under the digest of its content, so identical uploads share one path: the grace period
    lets concurrent requests for the same file finish; after it, a request naming the path finds nothing.
    """
    folder = Path(get_upload_folder())
    due = time.monotonic() + (UPLOAD_GRACE_S if grace is None else grace)
    with _DUE_LOCK:
        for upload in uploads:
            if upload and workspace.is_within(Path(upload), folder):
                _DUE[Path(upload).resolve()] = due
        global _reaper
        if _DUE and (_reaper is None or not _reaper.is_alive()):
            _reaper = threading.Thread(target=_reap, args=(folder.resolve(),), daemon=True, name="upload-reaper")
            _reaper.start()


def _reap(folder: Path) -> None:
    """Delete uploads as they fall due (and their digest folders once empty), until none is left."""
    while True:
        with _DUE_LOCK:
            now = time.monotonic()
            ready = [path for path, due in _DUE.items() if due <= now]
            for path in ready:
                del _DUE[path]
            if not _DUE and not ready:
                return
            wait = min(_DUE.values(), default=now) - now
        for path in ready:
            with contextlib.suppress(OSError):  # a file that cannot go (or a folder with another file still in it)
                path.unlink(missing_ok=True)
                if path.parent != folder:
                    path.parent.rmdir()
        time.sleep(min(max(wait, 0.05), 5.0))
