"""Safe extraction of uploaded `.zip` datasets (path traversal, links, bombs, nested archives)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnapp import quotas, settings
from cnnapp.errors import DataError, is_disk_full
from cnnapp.messages import Message, msg

ARCHIVE_EXTENSIONS = (".zip", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar")
_ENCRYPTED = 0x1  # a zip entry's general-purpose flag bit 0: its data needs a password
_MARKER = ".cnnapp-extracted.json"


@dataclass(frozen=True)
class ZipLimits:
    """Bounds on what an archive may expand to (`CNNAPP_ZIP_MAX_BYTES`, `_MAX_FILES`, `_MAX_RATIO` when created)."""

    max_bytes: int = field(default_factory=lambda: settings.get().zip_max_bytes)
    max_files: int = field(default_factory=lambda: settings.get().zip_max_files)
    max_ratio: float = field(default_factory=lambda: settings.get().zip_max_ratio)


@dataclass
class Extracted:
    """Where an archive was extracted and the entries left out, with reasons."""

    root: Path
    skipped: list[dict[str, Any]] = field(default_factory=list)


def skip(path: str, reason: Message) -> dict[str, Any]:
    """A report's entry for a file or folder left out: its path and why, in English (`reason`) and as a code
    (`reason_code`, for a page in another language). Reports written before the codes have `reason` only."""
    return {"path": path, "reason": str(reason), "reason_code": reason.to_dict()}


def _safe_member_path(name: str) -> tuple[str, ...] | None:
    """The member's relative path as its parts, or None when it is absolute or climbs out of the folder. Plain
    string work: a listing of tens of thousands of entries is checked before a run is queued."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if not parts or ".." in parts:
        return None
    return parts


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _plan(
    zf: zipfile.ZipFile, limits: ZipLimits
) -> tuple[list[tuple[zipfile.ZipInfo, tuple[str, ...]]], list[dict[str, Any]]]:
    members: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
    skipped: list[dict[str, Any]] = []
    seen: dict[tuple[str, ...], str] = {}
    total = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        rel = _safe_member_path(info.filename)
        if rel is None:
            skipped.append(skip(info.filename, msg("archive.unsafe_path")))
            continue
        if _is_symlink(info):
            skipped.append(skip(info.filename, msg("archive.link")))
            continue
        if rel in seen:
            skipped.append(skip(info.filename, msg("archive.duplicate_name", first=seen[rel])))
            continue
        seen[rel] = info.filename
        if rel[-1].lower().endswith(ARCHIVE_EXTENSIONS):
            skipped.append(skip(info.filename, msg("archive.nested")))
            continue
        if info.flag_bits & _ENCRYPTED:
            skipped.append(skip(info.filename, msg("archive.encrypted")))
            continue
        total += info.file_size
        if len(members) + 1 > limits.max_files:
            raise DataError(msg("archive.too_many_files", limit=limits.max_files))
        if total > limits.max_bytes:
            raise DataError(msg("archive.too_large", gib=limits.max_bytes / 1024**3))
        if info.file_size > 1024**2 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise DataError(msg("archive.bomb_member", name=info.filename, ratio=ratio))
        members.append((info, rel))
    packed = sum(info.compress_size for info, _ in members)
    if total > 16 * 1024**2 and total > limits.max_ratio * max(packed, 1):
        raise DataError(msg("archive.bomb", ratio=total / max(packed, 1)))
    return members, skipped


def _check_usable(name: str, members: list, skipped: list[dict[str, Any]]) -> None:
    """Refuse an archive whose every entry is encrypted (nothing could ever be read from it) in one line."""
    if not members and skipped and all(s.get("reason_code", {}).get("code") == "archive.encrypted" for s in skipped):
        raise DataError(msg("archive.all_encrypted", name=name))


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    """Stream one member out, refusing to write more than its header declares."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with zf.open(info) as src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > info.file_size:
                raise DataError(msg("archive.oversized_member", name=info.filename))
            dst.write(chunk)


def _extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> Message | None:
    """Write one member; None when done, else why this entry could not be written (it is then left out).

    A full disk is not one entry's problem: it stops the extraction.
    """
    try:
        _copy_member(zf, info, target)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError) as exc:
        # this entry's data cannot be read (a bad CRC, an unknown compression method, a password): the others can
        with contextlib.suppress(OSError):
            target.unlink()
        return msg(
            "archive.unreadable_member", problem=str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        )
    except OSError as exc:
        if is_disk_full(exc):
            raise
        with contextlib.suppress(OSError):  # a part written before the error (nothing when the name was refused)
            target.unlink()
        if exc.errno == errno.ENAMETOOLONG:
            return msg("archive.name_too_long")
        if exc.errno in (errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            return msg("archive.file_and_folder")
        return msg("archive.cannot_write", problem=str(exc.strerror or exc))
    return None


def file_digest(path: Path) -> str:
    """A short SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:16]


def check_zip(path: Path, limits: ZipLimits | None = None) -> int:
    """Refuse, from its listing alone (quick whatever its size), an archive that `extract_zip` would refuse
    before extracting: not a zip, too many files, too large, a zip bomb. Raises DataError. Returns the bytes its
    extraction writes at most (for the disk budgets, without reading the listing again)."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise DataError(msg("archive.not_zip", name=path.name))
    try:
        with zipfile.ZipFile(path) as zf:
            members, skipped = _plan(zf, limits or ZipLimits())
            _check_usable(path.name, members, skipped)
            return sum(info.file_size for info, _ in members)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise DataError(msg("archive.corrupt", name=path.name, problem=str(exc))) from None


def extract_zip(path: Path, dest_root: Path, limits: ZipLimits | None = None) -> Extracted:
    """Extract `path` under `dest_root/<digest>/` (reused when already there) and return it.

    Nothing is ever written outside that folder; unsafe entries are skipped with a reason.
    """
    limits = limits or ZipLimits()
    path = Path(path)
    if not path.is_file():
        raise DataError(msg("archive.not_found", path=str(path)))
    if not zipfile.is_zipfile(path):
        raise DataError(msg("archive.not_zip", name=path.name))
    target = dest_root / file_digest(path)
    marker = target / _MARKER
    if marker.is_file():
        quotas.touch(target)  # used now: evicted last (`quotas.make_room`)
        return Extracted(target, json.loads(marker.read_text())["skipped"])
    dest_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=dest_root))
    try:
        with zipfile.ZipFile(path) as zf:
            members, skipped = _plan(zf, limits)
            _check_usable(path.name, members, skipped)
            for info, rel in members:
                reason = _extract_member(zf, info, tmp.joinpath(*rel))
                if reason:
                    skipped.append(skip(info.filename, reason))
        (tmp / _MARKER).write_text(json.dumps({"source": path.name, "skipped": skipped}))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise DataError(msg("archive.corrupt", name=path.name, problem=str(exc))) from None
    except OSError as exc:
        if is_disk_full(exc):
            raise DataError(msg("archive.disk_full", disk_full=msg("error.disk_full"), name=path.name)) from None
        raise DataError(msg("archive.cannot_extract", name=path.name, problem=str(exc.strerror or exc))) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Extracted(target, skipped)


def is_marker(name: str) -> bool:
    """True for cnnapp's own bookkeeping file inside an extracted folder."""
    return name == _MARKER
