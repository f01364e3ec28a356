"""Generic file helpers every layer uses: atomic writes (readers never see half a file) and JSON read/write."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["FILE_MODE", "atomic_write", "read_json", "write_json", "write_text"]


def _umask() -> int:
    """This process's umask, read without changing it (os.umask would, for every thread)."""
    try:
        line = next(ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("Umask:"))
        return int(line.split()[1], 8)
    except (OSError, StopIteration, ValueError):
        return 0o022


FILE_MODE = 0o666 & ~_umask()  # what open() gives a new file


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; once written, it replaces `path` in one step.

    Readers never see half a file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE)  # writers such as safetensors create 0600 files; every run file gets the same mode
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_write(path) as tmp:
        tmp.write_text(text)


def write_json(path: Path, data: Any, indent: int = 1) -> None:
    """Write JSON atomically."""
    write_text(path, json.dumps(data, indent=indent, ensure_ascii=False))


def read_json(path: Path, default: Any = None) -> Any:
    """Read JSON, or `default` when missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default
