"""The run directory, cnnapp's unit of persistence: config, status, metrics, events, report, weights."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from cnnapp import workspace
from cnnapp.errors import RunError

STATES = ("queued", "running", "completed", "failed", "cancelled", "interrupted")
ACTIVE = ("queued", "running")
METRIC_COLUMNS = ["epoch", "stage", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "elapsed"]
SUMMARY_COLUMNS = [
    "run_id",
    "name",
    "dataset",
    "state",
    "arch",
    "pretrained",
    "freeze",
    "lr_head",
    "lr_backbone",
    "optimizer",
    "epochs",
    "epoch",
    "best_val_acc",
    "test_acc",
    "duration_s",
    "created",
    "message",
]
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@contextlib.contextmanager
def atomic_write(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; once written, it replaces `path` in one step (readers never see half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False))


def read_json(path: Path, default: Any = None) -> Any:
    """Read JSON, or `default` when missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def pid_alive(pid: int | None) -> bool:
    """True when a process with `pid` exists and is not a zombie."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] != "Z"
    except (OSError, IndexError):
        return True


def new_run_id(arch: str) -> str:
    """A sortable, unique id: `20261129-101500-resnet18-a1b2`."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", arch)[:40]
    return f"{datetime.now():%Y%m%d-%H%M%S}-{safe}-{secrets.token_hex(2)}"


class RunDir:
    """Reads and writes one run directory."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @property
    def id(self) -> str:
        return self.path.name

    def file(self, name: str) -> Path:
        return self.path / name

    @classmethod
    def create(cls, arch: str, root: Path | None = None, path: Path | str | None = None) -> RunDir:
        """A new, empty run directory (under the workspace unless `path` is given)."""
        target = Path(path) if path else workspace.runs_dir(root) / new_run_id(arch)
        target.mkdir(parents=True, exist_ok=True)
        return cls(target)

    def status(self) -> dict:
        return read_json(self.file("status.json"), {}) or {}

    def update_status(self, **fields: Any) -> dict:
        """Merge `fields` into status.json (with an `updated` timestamp)."""
        status = self.status()
        status.update(fields, updated=time.time())
        write_json(self.file("status.json"), status)
        return status

    def config(self) -> dict:
        return read_json(self.file("config.json"), {}) or {}

    def labels(self) -> list[str]:
        return read_json(self.file("labels.json"), []) or []

    def report(self) -> dict | None:
        return read_json(self.file("report.json"))

    def append_metrics(self, row: dict) -> None:
        """Add one epoch's row to metrics.csv."""
        path = self.file("metrics.csv")
        new = not path.exists()
        with open(path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=METRIC_COLUMNS)
            if new:
                writer.writeheader()
            writer.writerow({k: row.get(k) for k in METRIC_COLUMNS})

    def metrics(self) -> pd.DataFrame:
        """metrics.csv as a DataFrame (empty with the right columns when absent)."""
        try:
            return (
                pd.read_csv(self.file("metrics.csv"))
                .drop_duplicates(subset="epoch", keep="last")
                .reset_index(drop=True)
            )
        except (OSError, ValueError, pd.errors.EmptyDataError):
            return pd.DataFrame(columns=METRIC_COLUMNS)

    def log_event(self, event: dict) -> None:
        """Append a batch-level progress event to events.jsonl."""
        with open(self.file("events.jsonl"), "a") as f:
            f.write(json.dumps(event) + "\n")

    def last_event(self) -> dict | None:
        """The newest progress event, read from the end of the file."""
        path = self.file("events.jsonl")
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 4096))
                lines = f.read().splitlines()
        except OSError:
            return None
        for line in reversed(lines):
            try:
                return json.loads(line)
            except ValueError:
                continue
        return None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the training process's log."""
        try:
            text = self.file("train.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])

    def request_stop(self) -> None:
        """Ask the training process to stop after the current batch (it saves a checkpoint)."""
        self.file("stop.request").touch()

    def stop_requested(self) -> bool:
        return self.file("stop.request").exists()

    def reconcile(self) -> dict:
        """Mark an active run whose process is gone as `interrupted`; return the status."""
        status = self.status()
        state = status.get("state")
        if state == "running" and not pid_alive(status.get("pid")):
            return self.update_status(
                state="interrupted",
                ended=time.time(),
                message=f"the training process (pid {status.get('pid')}) ended without finishing (killed, crashed or the machine restarted)",
            )
        if state == "queued" and status.get("manager_pid") and not pid_alive(status.get("manager_pid")):
            return self.update_status(
                state="interrupted", ended=time.time(), message="the app stopped before this queued run started"
            )
        return status

    def summary(self) -> dict:
        """One row of the runs table."""
        status = self.reconcile()
        cfg = self.config()
        metrics = self.metrics()
        report = self.report() or {}
        best = metrics["val_acc"].max() if len(metrics) else None
        started, ended = status.get("started"), status.get("ended")
        end = ended or (time.time() if status.get("state") == "running" else None)
        data = cfg.get("data") or ""
        return {
            "run_id": self.id,
            "name": status.get("name") or f"{cfg.get('arch')} · {Path(data).name}",
            "dataset": (status.get("dataset") or {}).get("name") or Path(data).name,
            "state": status.get("state", "unknown"),
            "arch": cfg.get("arch"),
            "pretrained": cfg.get("pretrained"),
            "freeze": cfg.get("freeze"),
            "lr_head": cfg.get("lr_head"),
            "lr_backbone": cfg.get("lr_backbone"),
            "optimizer": cfg.get("optimizer"),
            "epochs": (cfg.get("epochs") or 0) + (cfg.get("unfreeze_epochs") or 0) if cfg else None,
            "epoch": status.get("epoch", 0),
            "best_val_acc": None if best is None or pd.isna(best) else float(best),
            "test_acc": report.get("test_accuracy"),
            "duration_s": round(end - started, 1) if started and end else None,
            "created": datetime.fromtimestamp(status["created"]).isoformat(timespec="seconds")
            if status.get("created")
            else None,
            "message": status.get("message", ""),
        }

    def delete(self) -> None:
        shutil.rmtree(self.path)


class ReadOnlyRun(RunDir):
    """A run directory seen by a process that must not write it (torchrun ranks other than 0)."""

    def __init__(self, path: Path | str):
        super().__init__(path)
        self._status: dict = {}

    def update_status(self, **fields: Any) -> dict:
        self._status.update(fields, updated=time.time())
        return dict(self._status)

    def append_metrics(self, row: dict) -> None:
        """Rank 0 records metrics."""

    def log_event(self, event: dict) -> None:
        """Rank 0 records progress."""


def all_runs(root: Path | None = None) -> list[RunDir]:
    """Every run directory in the workspace, newest first."""
    base = workspace.runs_dir(root)
    if not base.is_dir():
        return []
    dirs = [RunDir(p) for p in base.iterdir() if p.is_dir() and (p / "status.json").exists()]
    return sorted(dirs, key=lambda r: r.status().get("created", 0), reverse=True)


def list_runs(root: Path | None = None) -> pd.DataFrame:
    """The runs table (reconciling dead processes as it reads)."""
    return pd.DataFrame([r.summary() for r in all_runs(root)], columns=SUMMARY_COLUMNS)


def get_run(run: str | Path, root: Path | None = None, allow_paths: bool = False) -> RunDir:
    """A run by id (validated, inside the workspace) or, with `allow_paths`, by directory. Raises RunError."""
    text = str(run).strip()
    if allow_paths and os.sep in text:
        if not (Path(text) / "config.json").is_file():
            raise RunError(f"{text} is not a run directory (no config.json)")
        return RunDir(Path(text))
    if not RUN_ID.match(text):
        raise RunError(f"'{text}' is not a valid run id")
    path = workspace.runs_dir(root) / text
    if not path.is_dir() or not workspace.is_within(path, workspace.runs_dir(root)):
        raise RunError(f"no run named '{text}'; list runs with `python -m cnnapp runs`")
    return RunDir(path)
