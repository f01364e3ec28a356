"""Background training: every run is its own `python -m cnnapp train` process, queued by a job manager.

The app process never trains. `JobManager.submit` validates a configuration, writes a queued run
directory and starts it when a slot is free (`CNNAPP_MAX_JOBS`, default 1). A monitor thread per
process records how it ended and starts the next queued run. Stopping is graceful: the cooperative
stop request first (the trainer saves a checkpoint), then SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from cnnapp import workspace
from cnnapp.config import TrainConfig, resolve
from cnnapp.errors import RunError
from cnnapp.runs import ACTIVE, RunDir, all_runs, get_run, pid_alive

NICE = 10  # scheduling priority below the app's: the server's requests win the CPU while a training runs


def default_threads() -> int:
    """Torch threads for a training process: every core but one, so the server keeps one free."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


class JobManager:
    """Queues training runs and runs at most `max_jobs` of them at once, each in its own process."""

    def __init__(
        self,
        root: Path | None = None,
        max_jobs: int | None = None,
        threads: int | None = None,
        nice: int = NICE,
        stop_timeout: float = 30.0,
        term_timeout: float = 10.0,
    ):
        self.root = Path(root) if root else workspace.home()
        self.max_jobs = max_jobs or _env_int("CNNAPP_MAX_JOBS", 1)
        self.threads = threads or _env_int("CNNAPP_WORKER_THREADS", default_threads())
        self.nice = nice
        self.stop_timeout = stop_timeout
        self.term_timeout = term_timeout
        self._lock = threading.RLock()
        self._queue: list[RunDir] = []
        self._processes: dict[str, subprocess.Popen] = {}

    # ----- requests -----------------------------------------------------------------------
    def submit(self, values: dict[str, Any]) -> RunDir:
        """Validate `values` (CLI option names) and queue a run. Raises ConfigError before creating anything."""
        cfg = resolve(TrainConfig.from_dict(values))
        run = RunDir.create(cfg.arch, self.root)
        cfg.save(run.file("config.json"))
        now = time.time()
        run.update_status(
            state="queued", manager_pid=os.getpid(), created=now, epoch=0,
            epochs=cfg.epochs + cfg.unfreeze_epochs, message="waiting for a free training slot",
        )
        with self._lock:
            self._queue.append(run)
        self._pump()
        return run

    def stop(self, run_id: str) -> str:
        """Cancel a queued run or stop a running one gracefully; returns what was done, for the user."""
        run = get_run(run_id, self.root)
        with self._lock:
            queued = next((r for r in self._queue if r.id == run.id), None)
            if queued is not None:
                self._queue.remove(queued)
                run.update_status(state="cancelled", ended=time.time(), message="cancelled before it started")
                return "the queued run was cancelled"
            process = self._processes.get(run.id)
        status = run.reconcile()
        pid = process.pid if process is not None else status.get("pid")
        if status.get("state") not in ACTIVE or not pid_alive(pid):
            raise RunError(f"run {run.id} is not running (it is {status.get('state', 'unknown')})")
        run.request_stop()
        threading.Thread(target=self._escalate, args=(run, process or pid), daemon=True, name=f"stop-{run.id}").start()
        return "stopping after the current batch (a checkpoint is saved)"

    def active(self) -> list[RunDir]:
        """Queued and running runs on disk, newest first (dead processes reconciled)."""
        return [r for r in all_runs(self.root) if r.reconcile().get("state") in ACTIVE]

    def wait(self, run_id: str, timeout: float | None = None) -> dict:
        """Block until the run has ended (or `timeout` seconds passed); return its status."""
        run = get_run(run_id, self.root)
        deadline = None if timeout is None else time.monotonic() + timeout
        while run.reconcile().get("state") in ACTIVE and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.2)
        return run.status()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel the queue and stop every running process (graceful first), waiting up to `timeout` s."""
        with self._lock:
            for run in self._queue:
                run.update_status(state="cancelled", ended=time.time(), message="the app shut down before this run started")
            self._queue.clear()
            processes = list(self._processes.items())
        for run_id, process in processes:
            RunDir(self.root / "runs" / run_id).request_stop()
            _signal(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, process in processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # ----- processes ----------------------------------------------------------------------
    def _pump(self) -> None:
        """Start queued runs while slots are free."""
        with self._lock:
            while self._queue and len(self._processes) < self.max_jobs:
                run = self._queue.pop(0)
                if run.status().get("state") == "queued":
                    self._start(run)

    def _start(self, run: RunDir) -> None:
        env = {**os.environ, "CNNAPP_HOME": str(self.root), "CNNAPP_THREADS": str(self.threads), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "cnnapp", "train", "--config", str(run.file("config.json")), "--run-dir", str(run.path), "--quiet"]
        with open(run.file("train.log"), "ab") as log:
            try:
                process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
            except OSError as exc:
                run.update_status(state="failed", ended=time.time(), message=f"could not start the training process ({exc})")
                return
        try:
            os.setpriority(os.PRIO_PROCESS, process.pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + self.nice))
        except OSError:
            pass
        self._processes[run.id] = process
        run.update_status(pid=process.pid, message="starting the training process")
        threading.Thread(target=self._monitor, args=(run, process), daemon=True, name=f"job-{run.id}").start()

    def _monitor(self, run: RunDir, process: subprocess.Popen) -> None:
        code = process.wait()
        try:
            _record_exit(run, code)
        finally:
            with self._lock:
                self._processes.pop(run.id, None)
            self._pump()

    def _escalate(self, run: RunDir, target: subprocess.Popen | int) -> None:
        """After the stop request: SIGTERM after `stop_timeout`, SIGKILL `term_timeout` later."""
        for sig, wait_s in ((signal.SIGTERM, self.stop_timeout), (signal.SIGKILL, self.term_timeout)):
            if _wait_gone(target, wait_s):
                return
            run.update_status(message=f"the process did not stop in time; sending {sig.name}")
            if isinstance(target, subprocess.Popen):
                target.send_signal(sig)
            else:
                _signal(target, sig)


def _record_exit(run: RunDir, code: int) -> None:
    """Give a run whose process ended without recording a final state the state that explains why."""
    # the trainer records completed, failed or cancelled itself; "interrupted" comes from a reader's
    # reconcile() that saw the process gone first, and gets the exact reason here
    if run.status().get("state") not in (*ACTIVE, "interrupted"):
        return
    if run.stop_requested():
        state, message = "cancelled", "stopped on request" + (" (the process had to be killed)" if code < 0 else "")
    elif code < 0:
        state, message = "interrupted", f"the training process was killed ({_signal_name(-code)})"
    else:
        errors = [line for line in run.log_tail(40).splitlines() if line.startswith("error:")]
        state = "failed"
        message = errors[-1].removeprefix("error:").strip() if errors else f"the training process exited with code {code}; see train.log"
    run.update_status(state=state, ended=time.time(), message=message)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(target: subprocess.Popen | int, timeout: float) -> bool:
    """True once the process has ended, False when it is still alive after `timeout` seconds."""
    if isinstance(target, subprocess.Popen):
        try:
            target.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    while pid_alive(target):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True
