"""Background training: every run is its own `python -m cnnapp train` process, queued by a job manager.

The app process never trains. `JobManager.submit` validates a configuration, writes a queued run
directory and starts it when a slot is free (`CNNAPP_MAX_JOBS`, default 1); `resume` queues an ended
run to continue from its checkpoint (`train --resume`). A monitor thread per process records how it
ended and starts the next queued run. Stopping is graceful: the cooperative stop request first (the
trainer saves a checkpoint), then SIGTERM, then SIGKILL. A new manager reconciles the workspace and
adopts trainings that an earlier app instance left running: they hold a slot and are monitored to
their end. Every run is reached through `cnnapp.sessions`, so a session acts only on its own runs.
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

from cnnapp import provenance, sessions, settings, workspace
from cnnapp.config import TrainConfig, resolve
from cnnapp.errors import RunError
from cnnapp.runs import ACTIVE, RunDir, all_runs, get_run, pid_alive

NICE = 10  # scheduling priority below the app's: the server's requests win the CPU while a training runs
RESUMABLE = ("interrupted", "cancelled", "failed")
ADOPTED_POLL_S = 1.0


def default_threads() -> int:
    """Torch threads for a training process: every core but one, so the server keeps one free."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


class JobManager:
    """Queues training runs and runs at most `max_jobs` of them at once, each in its own process.

    Methods taking `session` act only on that session's runs when runs are scoped (`cnnapp.sessions`).
    """

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
        self.max_jobs = max_jobs or settings.get().max_jobs
        self.threads = threads or settings.get().worker_threads or default_threads()
        self.nice = nice
        self.stop_timeout = stop_timeout
        self.term_timeout = term_timeout
        self._lock = threading.RLock()
        self._queue: list[tuple[RunDir, list[str]]] = []  # (run, `cnnapp train` arguments)
        self._processes: dict[str, subprocess.Popen] = {}
        self._adopted: dict[str, int] = {}  # run id → pid of a training started by an earlier app instance
        self._adopt()

    # ----- requests -----------------------------------------------------------------------
    def submit(self, values: dict[str, Any], session: str | None = None, dataset_name: str | None = None) -> RunDir:
        """Validate `values` (CLI option names, plus an optional `name`) and queue a run owned by `session`.

        Raises ConfigError before creating anything. The run records its name (default e.g.
        "EfficientNet-Lite0 · shapes.zip · frozen") and its dataset (`dataset_name`, size, content hash).
        """
        sessions.require(session)
        options = dict(values)
        name = provenance.clean_name(options.pop("name", None))
        cfg = resolve(TrainConfig.from_dict(options))
        run = RunDir.create(cfg.arch, self.root)
        sessions.claim(run, session)
        cfg.save(run.file("config.json"))
        provenance.record(run, cfg, name, dataset_name)
        now = time.time()
        run.update_status(
            state="queued",
            manager_pid=os.getpid(),
            created=now,
            epoch=0,
            epochs=cfg.epochs + cfg.unfreeze_epochs,
            message="waiting for a free training slot",
        )
        self._enqueue(run, ["--config", str(run.file("config.json")), "--run-dir", str(run.path)])
        return run

    def resume(self, run_id: str, session: str | None = None) -> str:
        """Queue an interrupted, cancelled or failed run to continue from its checkpoint; returns what will happen."""
        run = sessions.get_run(run_id, self.root, session)
        with self._lock:
            state = run.reconcile().get("state")
            if state not in RESUMABLE:
                raise RunError(f"run {run.id} is {state}; only interrupted, cancelled or failed runs can be resumed")
            has_checkpoint = run.file("checkpoint.pt").is_file()
            run.file("stop.request").unlink(missing_ok=True)
            run.update_status(
                state="queued",
                manager_pid=os.getpid(),
                message="waiting for a free training slot to "
                + ("resume from its checkpoint" if has_checkpoint else "start again (no checkpoint was saved)"),
            )
            self._enqueue(run, ["--resume", str(run.path)])
        epoch = run.status().get("epoch") or 0
        return f"run {run.id} queued to " + (
            f"continue after epoch {epoch}" if has_checkpoint else "start again from the first epoch"
        )

    def stop(self, run_id: str, session: str | None = None) -> str:
        """Cancel a queued run or stop a running one gracefully; returns what was done, for the user."""
        run = sessions.get_run(run_id, self.root, session)
        with self._lock:
            queued = next((job for job in self._queue if job[0].id == run.id), None)
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

    def position(self, run_id: str) -> int | None:
        """1 for the next queued run to start, 2 for the one after…; None when the run is not waiting in this queue."""
        with self._lock:
            ids = [run.id for run, _ in self._queue]
        return ids.index(run_id) + 1 if run_id in ids else None

    def active(self, session: str | None = None) -> list[RunDir]:
        """`session`'s queued and running runs on disk, newest first (dead processes reconciled)."""
        return [r for r in sessions.all_runs(self.root, session) if r.reconcile().get("state") in ACTIVE]

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
            for run, _ in self._queue:
                run.update_status(
                    state="cancelled", ended=time.time(), message="the app shut down before this run started"
                )
            self._queue.clear()
            processes = list(self._processes.items())
            adopted = list(self._adopted.items())
        for run_id, pid in [(run_id, p.pid) for run_id, p in processes] + adopted:
            RunDir(self.root / "runs" / run_id).request_stop()
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, process in processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for _, pid in adopted:
            if not _wait_gone(pid, max(0.0, deadline - time.monotonic())):
                _signal(pid, signal.SIGKILL)

    # ----- processes ----------------------------------------------------------------------
    def _adopt(self) -> None:
        """Reconcile the workspace; monitor trainings left running by an app instance that has gone."""
        for run in all_runs(self.root):
            status = run.reconcile()
            pid, manager = status.get("pid"), status.get("manager_pid")
            if status.get("state") != "running" or not manager or pid_alive(manager):
                continue
            if not _is_trainer_of(pid, run):
                run.update_status(
                    state="interrupted",
                    ended=time.time(),
                    message=f"the training process (pid {pid}) is gone (the machine restarted)",
                )
                continue
            self._adopted[run.id] = pid
            threading.Thread(
                target=self._monitor_adopted, args=(run, pid), daemon=True, name=f"adopted-{run.id}"
            ).start()

    def _enqueue(self, run: RunDir, args: list[str]) -> None:
        with self._lock:
            self._queue.append((run, args))
        self._pump()

    def _pump(self) -> None:
        """Start queued runs while slots are free."""
        with self._lock:
            while self._queue and len(self._processes) + len(self._adopted) < self.max_jobs:
                run, args = self._queue.pop(0)
                if run.status().get("state") == "queued":
                    self._start(run, args)

    def _spawn(self, args: list[str], **popen: Any) -> subprocess.Popen:
        """`python -m cnnapp <args>` in this workspace, with the worker's threads, below the app's priority."""
        env = {**os.environ, **settings.as_env(home=self.root, threads=self.threads), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen([sys.executable, "-m", "cnnapp", *args], stdin=subprocess.DEVNULL, env=env, **popen)
        try:
            os.setpriority(os.PRIO_PROCESS, process.pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + self.nice))
        except OSError:
            pass
        return process

    def run_tool(self, args: list[str], timeout: float) -> subprocess.CompletedProcess:
        """Run a short cnnapp command (e.g. `lr-find`) in its own process as trainings run, and wait for it.

        Raises RunError when it cannot start or takes longer than `timeout` seconds (it is then killed).
        """
        try:
            process = self._spawn(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as exc:
            raise RunError(f"could not start a worker process ({exc})") from None
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise RunError(f"it took longer than {timeout / 60:.0f} minutes and was stopped") from None
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def _start(self, run: RunDir, args: list[str]) -> None:
        with open(run.file("train.log"), "ab") as log:
            try:
                process = self._spawn(["train", *args, "--quiet"], stdout=log, stderr=subprocess.STDOUT)
            except OSError as exc:
                run.update_status(
                    state="failed", ended=time.time(), message=f"could not start the training process ({exc})"
                )
                return
        self._processes[run.id] = process
        run.update_status(pid=process.pid, launched=time.time(), message="starting the training process")
        threading.Thread(target=self._monitor, args=(run, process), daemon=True, name=f"job-{run.id}").start()

    def _monitor(self, run: RunDir, process: subprocess.Popen) -> None:
        self._ended(run, process.wait(), self._processes)

    def _monitor_adopted(self, run: RunDir, pid: int) -> None:
        """Follow a training this manager did not start (its exit code is unknown) until its process ends."""
        while pid_alive(pid):
            time.sleep(ADOPTED_POLL_S)
        self._ended(run, None, self._adopted)

    def _ended(self, run: RunDir, code: int | None, tracked: dict) -> None:
        """Record how a training process ended, free its slot and start the next queued run."""
        try:
            _record_exit(run, code)
        finally:
            with self._lock:
                tracked.pop(run.id, None)
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


def _record_exit(run: RunDir, code: int | None) -> None:
    """Give a run whose process ended without a final state the state that explains why (`code` None: unknown)."""
    # the trainer records completed, failed or cancelled itself; "interrupted" comes from a reader's
    # reconcile() that saw the process gone first, and gets the exact reason here
    if run.status().get("state") not in (*ACTIVE, "interrupted"):
        return
    if run.stop_requested():
        state, message = (
            "cancelled",
            "stopped on request" + (" (the process had to be killed)" if code is not None and code < 0 else ""),
        )
    elif code is None:
        state, message = (
            "interrupted",
            "the training process ended without finishing (it was started before the app restarted)",
        )
    elif code < 0:
        state, message = "interrupted", f"the training process was killed ({_signal_name(-code)})"
    else:
        errors = [line for line in run.log_tail(40).splitlines() if line.startswith("error:")]
        state = "failed"
        message = (
            errors[-1].removeprefix("error:").strip()
            if errors
            else f"the training process exited with code {code}; see train.log"
        )
    run.update_status(state=state, ended=time.time(), message=message)


def _is_trainer_of(pid: int, run: RunDir) -> bool:
    """Whether `pid` is the training process of `run` (a pid reused by another program after a reboot is not)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc to ask: trust the recorded pid
    target = run.path.resolve()
    return any(Path(os.fsdecode(arg)).resolve() == target for arg in command if arg)


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
