"""Disk budgets: what the inputs visitors bring may take of the workspace, all together and for one session.

Inputs are the uploads kept for trainings (`uploads/`) and the datasets on the server (`datasets/`: extracted
archives, folders uploaded in the browser, datasets made with the builder). Before any of them is written,
`make_room` checks the need against the session's budget (`CNNAPP_SESSION_DISK_BUDGET`, from what that session
brought, recorded in `owners/<session digest>.json`) and the workspace's (`CNNAPP_DISK_BUDGET`), first evicting
extracted archives nobody has used for `EVICT_AFTER_S` (oldest use first: an upload can be extracted again), and then
the disk's free space (`CNNAPP_MIN_FREE_DISK`). A refusal is a one-line LimitError naming the variable.
Runs, their weights and exports are not inputs: they are the user's results, deleted only by the user.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from pathlib import Path

from cnnapp import settings, workspace
from cnnapp.errors import LimitError
from cnnapp.files import read_json, write_json
from cnnapp.limits import check_free_space
from cnnapp.messages import msg

EVICT_AFTER_S = 3600.0  # an extracted archive used this recently (a run may be reading it) is never evicted
_EXTRACTED = re.compile(r"[0-9a-f]{16}")  # datasets/<digest of the archive>: `data.archive.extract_zip`'s folders
_LOCK = threading.Lock()


def size_of(path: Path) -> int:
    """Bytes of the files under `path` (links not followed; 0 when it is gone)."""
    path = Path(path)
    try:
        if not path.is_dir():
            return path.lstat().st_size
    except OSError:
        return 0
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total


def inputs(root: Path | None = None) -> list[Path]:
    """The folders that hold inputs."""
    return [workspace.uploads_dir(root), workspace.datasets_dir(root)]


def used(root: Path | None = None) -> int:
    """Bytes the inputs take now."""
    return sum(size_of(folder) for folder in inputs(root))


def _ledger(root: Path | None, session: str) -> Path:
    digest = hashlib.sha256(f"cnnapp-disk:{session}".encode()).hexdigest()[:24]
    return (root or workspace.home()) / "owners" / f"{digest}.json"


def record(path: Path, session: str | None, root: Path | None = None) -> None:
    """Count `path` (an upload kept, a dataset extracted or made) against `session`'s budget."""
    if not session:
        return
    ledger = _ledger(root, session)
    with _LOCK:
        paths = read_json(ledger, [])
        paths = paths if isinstance(paths, list) else []
        if str(path) not in paths:
            ledger.parent.mkdir(parents=True, exist_ok=True)
            write_json(ledger, [*paths, str(path)])


def session_used(session: str | None, root: Path | None = None) -> int:
    """Bytes of what `session` brought that is still on the server."""
    if not session:
        return 0
    paths = read_json(_ledger(root, session), [])
    return sum(size_of(Path(p)) for p in dict.fromkeys(paths if isinstance(paths, list) else []))


def touch(folder: Path) -> None:
    """Mark an extracted archive as used now (eviction goes oldest use first)."""
    try:
        os.utime(folder)
    except OSError:
        pass


def _evictable(root: Path | None, now: float) -> list[tuple[float, Path]]:
    base = workspace.datasets_dir(root)
    if not base.is_dir():
        return []
    found = []
    for folder in base.iterdir():
        try:
            last = folder.stat().st_mtime
        except OSError:
            continue
        if _EXTRACTED.fullmatch(folder.name) and folder.is_dir() and now - last > EVICT_AFTER_S:
            found.append((last, folder))
    return sorted(found)


def make_room(need: int, session: str | None = None, root: Path | None = None) -> None:
    """Refuse (LimitError) to write `need` more bytes of inputs for `session` unless they fit its budget, the
    workspace's (after evicting unused extracted archives, oldest use first) and the disk's free space."""
    limits = settings.get()
    root = root or workspace.home()
    mine = session_used(session, root)
    if session and mine + need > limits.session_disk_budget:
        budget, variable = limits.session_disk_budget / 1024**2, settings.ENV_NAMES["session_disk_budget"]
        raise LimitError(msg("quota.session", need=(mine + need) / 1024**2, budget=budget, variable=variable))
    with _LOCK:
        total = used(root)
        for _, folder in _evictable(root, time.time()):
            if total + need <= limits.disk_budget:
                break
            total -= size_of(folder)
            shutil.rmtree(folder, ignore_errors=True)
    if total + need > limits.disk_budget:
        budget, variable = limits.disk_budget / 1024**2, settings.ENV_NAMES["disk_budget"]
        raise LimitError(msg("quota.total", need=(total + need) / 1024**2, budget=budget, variable=variable))
    check_free_space(root, limits)


def expanded_size(archive: Path) -> int:
    """Bytes an archive's entries declare (what extracting it writes at most); 0 for a file that is not a zip."""
    import zipfile

    try:
        with zipfile.ZipFile(archive) as zf:
            return sum(info.file_size for info in zf.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return 0


__all__ = ["expanded_size", "make_room", "record", "session_used", "size_of", "touch", "used"]
