"""Uploaded files: kept in the workspace while a run needs them, deleted once nothing will read them again.

Three kinds: an API upload's `.zip` is kept under `<workspace>/uploads/` for its training (`keep_upload`) and
released once no run will read it again (`release_uploads`); a folder uploaded in the browser is rebuilt under
`<workspace>/datasets/` (`store_folder`); the upload server's own copies are deleted after their request
(`discard`).

One grace, GRACE_S, covers every upload that looks unused but may be in use: 10 minutes. An upload is in use from
when it arrives until its request has recorded its run (or used the file), and that request may wait its turn in
the server's queue and then read an archive as large as the upload limit on a busy machine, which takes minutes;
the upload server stores identical files under one path, so a request may still be reading a file another has
finished with. Deleting too early fails a run or a request, deleting late only holds disk space a while longer.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

from cnnapp import workspace
from cnnapp.errors import DataError
from cnnapp.messages import msg
from cnnapp.runs import ACTIVE, RESUMABLE, all_runs

GRACE_S = 600.0  # an upload younger than this may still be in use (see above)
_DUE: dict[Path, float] = {}  # upload → when to delete it
_DUE_LOCK = threading.Lock()
_reaper: threading.Thread | None = None


def keep_upload(upload: Path, root: Path | None = None) -> Path:
    """The uploaded file kept in the workspace, under its own name, until its training has read it (a hard
    link where possible, else a copy). Raises DataError."""
    folder = workspace.uploads_dir(root) / secrets.token_hex(8)
    kept = folder / upload.name
    try:
        folder.mkdir(parents=True)
        try:
            os.link(upload, kept)
        except OSError:
            shutil.copyfile(upload, kept)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise DataError(msg("upload.cannot_store", problem=str(exc.strerror or exc))) from None
    return kept


def release_uploads(root: Path) -> None:
    """Delete the archives kept by `keep_upload` that no run will read again.

    A run that is waiting, reading or training keeps its archive; so does one that ended early (cancelled, failed,
    interrupted: it can be resumed) for GRACE_S after it ended; a completed run's images were extracted (its
    evaluation reads those), so its archive goes. Folders younger than GRACE_S are left alone: their run may be
    being created.
    """
    folder = workspace.uploads_dir(root)
    if not folder.is_dir():
        return
    needed, now = set(), time.time()
    for run in all_runs(root):
        status = run.status()
        state = status.get("state", "queued")
        recent = state in RESUMABLE and now - float(status.get("ended") or now) <= GRACE_S
        if (state in ACTIVE or recent) and (data := run.config().get("data")):
            needed.add(Path(data).resolve().parent)
    for kept in folder.iterdir():
        try:
            if kept.resolve() not in needed and time.time() - kept.stat().st_mtime > GRACE_S:
                shutil.rmtree(kept, ignore_errors=True)
        except OSError:  # gone meanwhile
            continue


def store_folder(files: list[tuple[str | Path, list[str]]], root: Path | None = None) -> Path:
    """Copy uploaded files to their relative paths (`parts`) under `<workspace>/datasets/folder-<digest>/`.

    The digest is of the paths and contents, so the same folder uploaded again is stored once. Raises OSError.
    """
    base = workspace.datasets_dir(root)
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".folder-", dir=base))
    digest = hashlib.sha256()
    try:
        for f, parts in sorted(files, key=lambda item: item[1]):
            dest = tmp.joinpath(*parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            data = Path(f).read_bytes()
            digest.update("/".join(parts).encode() + b"\0" + hashlib.sha256(data).digest())
            dest.write_bytes(data)
        target = base / f"folder-{digest.hexdigest()[:16]}"
        if not target.is_dir():  # the same upload seen before is reused
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def discard(*uploads: str | Path | None, folder: Path) -> None:
    """Delete uploaded files inside `folder` (the upload server's) GRACE_S seconds from now (other paths are left
    alone), and their sub-folder once empty.

    Identical uploads share one path: the grace lets concurrent requests for the same file finish; after it, a
    request naming the path finds nothing.
    """
    due = time.monotonic() + GRACE_S
    with _DUE_LOCK:
        for upload in uploads:
            if upload and workspace.is_within(Path(upload), folder):
                _DUE[Path(upload).resolve()] = due
        global _reaper
        if _DUE and (_reaper is None or not _reaper.is_alive()):
            _reaper = threading.Thread(target=_reap, args=(folder.resolve(),), daemon=True, name="upload-reaper")
            _reaper.start()


def _reap(folder: Path) -> None:
    """Delete uploads as they fall due (and their sub-folders once empty), until none is left."""
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
