"""The run directory, cnnapp's unit of persistence: config, status, metrics, events, report, weights.

`RunDir` is the only owner of run-file names and of weight I/O; other modules use its constants and methods.
The module is longer than most for that reason: every rule about a run's files is here, in one place.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cnnapp import workspace
from cnnapp.errors import RunError, is_disk_full
from cnnapp.files import atomic_write, read_json, write_json
from cnnapp.messages import Message, msg

if TYPE_CHECKING:
    import torch

CONFIG = "config.json"
STATUS = "status.json"
LABELS = "labels.json"
INGEST = "ingest.json"
METRICS = "metrics.csv"
EVENTS = "events.jsonl"
REPORT = "report.json"
PREDICTIONS = "val_predictions.csv"
WEIGHTS = "model.safetensors"
CHECKPOINT = "checkpoint.pt"
LOG = "train.log"
STOP = "stop.request"
OWNER = "owner.json"

# `damaged`: a run file cnnapp wrote cannot be read back (edited, truncated, another program's); said by `damage()`
STATES = ("queued", "ingesting", "running", "completed", "failed", "cancelled", "interrupted", "damaged")
ACTIVE = ("queued", "ingesting", "running")
STARTED = ("ingesting", "running")  # a training process has the run: it reads the dataset, then trains
RESUMABLE = ("interrupted", "cancelled", "failed")
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
    "best_val_balanced_acc",
    "best_val_macro_f1",
    "test_acc",
    "duration_s",
    "created",
    "message",
]
_UNWRITTEN: dict[str, dict] = {}  # status.json path → a status the full disk did not take yet
_UNWRITTEN_LOCK = threading.RLock()
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# status.json's fields and the types each may have (None: not yet known)
_STATUS_TYPES: dict[str, tuple[type, ...]] = {
    "state": (str,),
    "message": (str,),
    "name": (str,),
    "epoch": (int,),
    "epochs": (int,),
    "pid": (int,),
    "manager_pid": (int,),
    "created": (int, float),
    "started": (int, float),
    "ended": (int, float),
    "updated": (int, float),
    "dataset": (dict,),
    "message_code": (dict,),
}
_METRIC_NUMBERS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "elapsed"]


def cpu_state(model: Any) -> dict[str, torch.Tensor]:
    """A state dict (of a module, or given) as contiguous CPU tensors, as safetensors and checkpoints need them."""
    state = model.state_dict() if hasattr(model, "state_dict") else model
    return {k: v.detach().contiguous().cpu() for k, v in state.items()}


def write_safetensors(model: Any, path: Path, metadata: dict[str, str] | None = None) -> None:
    """Write a module's (or a state dict's) weights as safetensors, atomically."""
    from safetensors.torch import save_file  # lazy: the app's first page imports this module, never torch

    with atomic_write(path) as tmp:
        save_file(cpu_state(model), str(tmp), metadata=metadata)


def coded(fields: dict[str, Any]) -> dict[str, Any]:
    """Status fields as stored: a `message` given as a `Message` is kept as its English text (`message`, for the CLI,
    the API and old readers) and its code with parameters (`message_code`, for pages in other languages); a plain
    text message clears the code of an earlier one."""
    if "message" not in fields:
        return fields
    message = fields["message"]
    return {
        **fields,
        "message": str(message),
        "message_code": message.to_dict() if isinstance(message, Message) else None,
    }


STALL_MIN_S = 20.0  # a training silent this long (and for several of its batches) is waiting, not progressing


def stalled(event: dict, now: float | None = None) -> bool:
    """Whether no batch has come for a while after progress `event` (the trainer is paused, stopped or starved of
    CPU): a time-left estimate would only freeze, so readers say "waiting" instead."""
    silent = (now or time.time()) - float(event.get("t") or 0)
    return silent > max(STALL_MIN_S, 5 * float(event.get("batch_s") or 0))


def time_left(event: dict, now: float | None = None) -> float | None:
    """Seconds a running training still needs by its newest progress event, counted down since the event was
    written; None without an estimate yet, or while `stalled`."""
    now = now or time.time()
    if not event.get("eta_s") or stalled(event, now):
        return None
    return max(1.0, float(event["eta_s"]) - (now - float(event.get("t") or now)))


def _status_problem(status: Any) -> str | None:
    """What is wrong with a status.json's content, or None (missing fields are fine: a run fills them in turn)."""
    if not isinstance(status, dict):
        return f"a JSON {type(status).__name__}, not an object"
    for key, kinds in _STATUS_TYPES.items():
        value = status.get(key)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
            return f"'{key}' is {type(value).__name__}"
    if status.get("state") not in (None, *STATES):
        return f"unknown state '{status['state']}'"
    return None


def _safetensors_header_ok(path: Path) -> bool:
    """Whether `path` starts as a safetensors file does: an 8-byte length, then that many bytes of a JSON object."""
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            if not 2 <= size <= min(100 * 1024**2, path.stat().st_size - 8):
                return False
            return isinstance(json.loads(f.read(size)), dict)
    except (OSError, ValueError):
        return False


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
    """Reads and writes one run directory.

    Longer than ~200 lines on purpose: it is the one owner of every run file's name and of reading and writing each
    (status, config, labels, metrics, events, log, report, weights, checkpoint), so that no other module knows them.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @property
    def id(self) -> str:
        return self.path.name

    def file(self, name: str) -> Path:
        """The path of one of the run's files (named by this module's constants)."""
        return self.path / name

    @property
    def weights(self) -> Path:
        """The best weights so far (safetensors)."""
        return self.file(WEIGHTS)

    @property
    def checkpoint(self) -> Path:
        """Everything needed to resume: last weights, optimizer, scheduler, position (torch.save)."""
        return self.file(CHECKPOINT)

    @classmethod
    def create(cls, arch: str, root: Path | None = None, path: Path | str | None = None) -> RunDir:
        """A new, empty run directory (under the workspace unless `path` is given)."""
        target = Path(path) if path else workspace.runs_dir(root) / new_run_id(arch)
        target.mkdir(parents=True, exist_ok=True)
        return cls(target)

    @classmethod
    def of(cls, run_id: str, root: Path | None = None) -> RunDir:
        """The run `run_id` of the workspace (unvalidated: use `get_run` for ids from users)."""
        return cls(workspace.runs_dir(root) / run_id)

    def has_weights(self) -> bool:
        """Whether best weights were saved (after the first finished epoch)."""
        return self.weights.is_file()

    def has_checkpoint(self) -> bool:
        return self.checkpoint.is_file()

    def has_report(self) -> bool:
        """Whether the evaluation report was written (when training finished)."""
        return self.file(REPORT).is_file()

    def weights_stamp(self) -> float:
        """When the loadable weights last changed (0 without any), for caches of loaded models."""
        for path in (self.weights, self.checkpoint):
            if path.is_file():
                return path.stat().st_mtime
        return 0.0

    def save_state(self, model: Any, metadata: dict[str, str]) -> None:
        """Save the best weights (a module or a state dict) atomically."""
        write_safetensors(model, self.weights, metadata)

    def load_state(self) -> dict[str, torch.Tensor]:
        """The best weights, or the last checkpoint's when the run stopped before saving any. Raises RunError."""
        if self.has_weights():
            from safetensors.torch import load_file  # lazy: keeps torch out of the app's first page

            try:
                return load_file(str(self.weights))
            except Exception as exc:  # safetensors' own error type for a file that is not one
                raise RunError(msg("runs.damaged", run=self.id, file=WEIGHTS)) from exc
        if self.has_checkpoint():
            return self.load_checkpoint()["model"]
        status = self.status()
        if status.get("state") in (None, *ACTIVE):
            raise RunError(msg("runs.no_weights_yet", run=self.id))
        why = Message.from_dict(status.get("message_code")) or status.get("message") or status["state"]
        raise RunError(msg("runs.no_weights", run=self.id, why=why))

    def save_checkpoint(self, state: dict) -> None:
        """Write the resume checkpoint atomically (tensors must be on the CPU)."""
        import torch  # lazy: keeps torch out of the app's first page

        with atomic_write(self.checkpoint) as tmp:
            torch.save(state, tmp)

    def load_checkpoint(self) -> dict:
        """The resume checkpoint (read with weights_only: never unpickles code). Raises RunError when missing."""
        import torch  # lazy: keeps torch out of the app's first page

        if not self.has_checkpoint():
            raise RunError(msg("runs.no_checkpoint", path=str(self.path)))
        return torch.load(self.checkpoint, map_location="cpu", weights_only=True)

    def require_resumable(self, also: tuple[str, ...] = ()) -> None:
        """Raise RunError unless the run ended early (or is in one of the states `also`)."""
        state = self.reconcile().get("state")
        if state not in (*RESUMABLE, *also):
            raise RunError(msg("runs.not_resumable", run=self.id, state=state))

    def status(self) -> dict:
        """status.json, or the newer status that could not be written yet (it is written now if it can be).

        A status.json of the wrong shape reads as a `damaged` run saying so, never as an error for its readers."""
        with _UNWRITTEN_LOCK:
            unwritten = _UNWRITTEN.get(str(self.file(STATUS)))
        if unwritten is not None:
            return self.update_status()
        status = read_json(self.file(STATUS), {})
        problem = _status_problem(status)
        if problem:
            return {"state": "damaged", "message": f"{STATUS} is damaged ({problem}); delete this run"}
        return status or {}

    def damage(self, status: dict | None = None) -> str | None:
        """Why this run's files cannot be used (one line), or None: status.json, config.json, labels.json,
        metrics.csv and the weights' header are checked (a few small reads)."""
        status = self.status() if status is None else status
        if status.get("state") == "damaged":
            return status.get("message")
        for name, kind in ((CONFIG, dict), (LABELS, list)):
            if self.file(name).is_file() and not isinstance(read_json(self.file(name)), kind):
                return f"{name} is damaged (not the JSON cnnapp wrote); delete this run"
        if self.file(METRICS).is_file() and self._read_metrics() is None:
            return f"{METRICS} is damaged (not the table cnnapp wrote); delete this run"
        if self.has_weights() and not _safetensors_header_ok(self.weights):
            return f"{WEIGHTS} is damaged (not a safetensors file); delete this run or train it again"
        return None

    def update_status(self, **fields: Any) -> dict:
        """Merge `fields` into status.json (with an `updated` timestamp).

        On a full disk the status is kept in memory, served by `status()` and written by the next update that can,
        so that the server goes on listing and reporting runs.
        """
        key = str(self.file(STATUS))
        fields = coded(fields)
        with _UNWRITTEN_LOCK:
            saved = read_json(key, {})
            status = dict(_UNWRITTEN.get(key) or (saved if isinstance(saved, dict) else {}))
            status.update(fields, updated=time.time())
            try:
                write_json(self.file(STATUS), status)
                _UNWRITTEN.pop(key, None)
            except OSError as exc:
                if not is_disk_full(exc):
                    raise
                _UNWRITTEN[key] = status
        return dict(status)

    def mark_running(self, epochs: int, state: str = "running") -> dict:
        """Record that this process has the run now, in `state` (keeping when it was first created and started)."""
        status, now = self.status(), time.time()
        return self.update_status(
            state=state,
            pid=os.getpid(),
            started=status.get("started") or now,
            ended=None,
            epoch=status.get("epoch", 0),
            epochs=epochs,
            message=msg("run.starting"),
            created=status.get("created") or now,
        )

    def finish(self, state: str, message: str, **fields: Any) -> dict:
        """Record how the run ended (completed, failed, cancelled or interrupted) and why."""
        return self.update_status(state=state, ended=time.time(), message=message, **fields)

    def config(self) -> dict:
        cfg = read_json(self.file(CONFIG), {})
        return cfg if isinstance(cfg, dict) else {}

    def labels(self) -> list[str]:
        labels = read_json(self.file(LABELS), [])
        return labels if isinstance(labels, list) else []

    def report(self) -> dict | None:
        return read_json(self.file(REPORT))

    def append_metrics(self, row: dict) -> None:
        """Add one epoch's row to metrics.csv."""
        path = self.file(METRICS)
        new = not path.exists()
        with open(path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=METRIC_COLUMNS)
            if new:
                writer.writeheader()
            writer.writerow({k: row.get(k) for k in METRIC_COLUMNS})

    def metrics(self) -> pd.DataFrame:
        """metrics.csv as a DataFrame (empty with the right columns when absent or damaged)."""
        frame = self._read_metrics()
        return pd.DataFrame(columns=METRIC_COLUMNS) if frame is None else frame

    def _read_metrics(self) -> pd.DataFrame | None:
        """metrics.csv with its numbers as numbers; None when it is missing or not the table cnnapp writes."""
        try:
            frame = pd.read_csv(self.file(METRICS))
        except (OSError, ValueError, pd.errors.EmptyDataError):
            return None
        if not set(METRIC_COLUMNS) <= set(frame.columns):
            return None
        numbers = frame[_METRIC_NUMBERS].apply(pd.to_numeric, errors="coerce")
        if numbers["epoch"].isna().any():
            return None
        frame[_METRIC_NUMBERS] = numbers
        return frame.drop_duplicates(subset="epoch", keep="last").reset_index(drop=True)

    def log_event(self, event: dict) -> None:
        """Append a batch-level progress event to events.jsonl."""
        with open(self.file(EVENTS), "a") as f:
            f.write(json.dumps(event) + "\n")

    def last_event(self) -> dict | None:
        """The newest progress event, read from the end of the file (log lines recorded there are not progress)."""
        path = self.file(EVENTS)
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 4096))
                lines = f.read().splitlines()
        except OSError:
            return None
        for line in reversed(lines):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if "log" not in event:
                return event
        return None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the training process's log."""
        try:
            text = self.file(LOG).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])

    def request_stop(self) -> None:
        """Ask the training process to stop after the current batch (it saves a checkpoint)."""
        self.file(STOP).touch()

    def stop_requested(self) -> bool:
        return self.file(STOP).exists()

    def clear_stop(self) -> None:
        """Forget an earlier stop request (before the run trains again)."""
        self.file(STOP).unlink(missing_ok=True)

    def reconcile(self) -> dict:
        """Mark an active run whose process is gone as `interrupted`; return the status."""
        status = self.status()
        state = status.get("state")
        if state in STARTED and not pid_alive(status.get("pid")):
            return self.update_status(
                state="interrupted", ended=time.time(), message=msg("run.process_ended", pid=status.get("pid"))
            )
        if state == "queued" and status.get("manager_pid") and not pid_alive(status.get("manager_pid")):
            return self.update_status(
                state="interrupted", ended=time.time(), message=msg("run.app_stopped_before_start")
            )
        return status

    def summary(self, status: dict | None = None) -> dict:
        """One row of the runs table, from `status` when the caller has read it (one consistent read), else now.

        A run whose files are damaged is listed as `damaged` with the reason."""
        status = self.reconcile() if status is None else status
        problem = self.damage(status)
        if problem:
            status = {**status, "state": "damaged", "message": problem}
        cfg = self.config() if problem is None or not problem.startswith(CONFIG) else {}
        metrics = self.metrics()
        report = self.report()
        report = report if isinstance(report, dict) else {}
        best = metrics["val_acc"].max() if len(metrics) else None
        started, ended = status.get("started"), status.get("ended")
        end = ended or (time.time() if status.get("state") in STARTED else None)
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
            # the best epoch's (training.record.Record.best_scores); runs from before them have none
            "best_val_balanced_acc": status.get("best_val_balanced_acc"),
            "best_val_macro_f1": status.get("best_val_macro_f1"),
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
        self._status.update(coded(fields), updated=time.time())
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
    dirs = [RunDir(p) for p in base.iterdir() if p.is_dir() and (p / STATUS).exists()]
    return sorted(dirs, key=lambda r: r.status().get("created", 0), reverse=True)


def list_runs(root: Path | None = None) -> pd.DataFrame:
    """The runs table (reconciling dead processes as it reads)."""
    return pd.DataFrame([r.summary() for r in all_runs(root)], columns=SUMMARY_COLUMNS)


def get_run(run: str | Path, root: Path | None = None, allow_paths: bool = False) -> RunDir:
    """A run by id (validated, inside the workspace) or, with `allow_paths`, by directory. Raises RunError."""
    text = str(run).strip()
    if allow_paths and os.sep in text:
        if not (Path(text) / CONFIG).is_file():
            raise RunError(msg("runs.not_run_dir", path=text, file=CONFIG))
        return RunDir(Path(text))
    if not RUN_ID.match(text):
        raise RunError(msg("runs.bad_id", name=text))
    path = workspace.runs_dir(root) / text
    if not path.is_dir() or not workspace.is_within(path, workspace.runs_dir(root)):
        raise RunError(msg("runs.not_found", name=text))
    return RunDir(path)
