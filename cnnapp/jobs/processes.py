"""Training processes as the job manager sees them: started, followed, signalled, and read when they end.

A process is a `subprocess.Popen` this app started, or the pid of a training an earlier app instance started and
this one adopted (`left_running`): stopping, the time limit and shutdown treat both alike. The queue that decides
which run starts when is `cnnapp.jobs.worker`'s; here is only what one process needs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cnnapp import settings
from cnnapp.errors import DISK_FULL_MESSAGE, RunError
from cnnapp.messages import msg
from cnnapp.runs import ACTIVE, LOG, STARTED, RunDir, all_runs, pid_alive

Process = subprocess.Popen | int  # ours, or the pid of an adopted training
NICE = 10  # scheduling priority below the app's: the server's requests win the CPU while a training runs
POLL_S = 0.2  # how often a process that is not our child is checked
WATCH_RETRY_S = 1.0  # a watcher thread that failed starts again after this
DISK_FULL_BYTES = 1024**2  # less free space than this, and a failed trainer is taken to have run out of disk


def default_threads() -> int:
    """Torch threads for a training process: every core but one, so the server keeps one free."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


def environment(root: Path, threads: int) -> dict[str, str]:
    """The environment of a worker process started now: this workspace, `threads` torch threads, unbuffered output."""
    return {**os.environ, **settings.as_env(home=root, threads=threads), "PYTHONUNBUFFERED": "1"}


def spawn(args: list[str], env: dict[str, str], nice: int, **popen: Any) -> subprocess.Popen:
    """`python -m cnnapp <args>` with `env`, `nice` steps below the app's priority."""
    popen.setdefault("stdin", subprocess.DEVNULL)
    process = subprocess.Popen([sys.executable, "-m", "cnnapp", *args], env=env, **popen)
    try:
        os.setpriority(os.PRIO_PROCESS, process.pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice))
    except OSError:
        pass
    return process


def run_tool(args: list[str], env: dict[str, str], nice: int, timeout: float) -> subprocess.CompletedProcess:
    """Run a short cnnapp command (e.g. `lr-find`) in its own process and wait for it.

    Raises RunError when it cannot start or takes longer than `timeout` seconds (it is then killed).
    """
    try:
        process = spawn(args, env, nice, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        raise RunError(msg("jobs.cannot_start", problem=str(exc))) from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RunError(msg("jobs.too_long", minutes=timeout / 60)) from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def left_running(root: Path) -> list[tuple[RunDir, int]]:
    """Reconcile the workspace and return the trainings (run, pid) left running by an app instance that has gone.

    A recorded pid that now belongs to another program (after a reboot) marks its run interrupted instead.
    """
    found = []
    for run in all_runs(root):
        status = run.reconcile()
        pid, manager = status.get("pid"), status.get("manager_pid")
        if status.get("state") not in STARTED or not manager or pid_alive(manager):
            continue
        if is_trainer_of(pid, run):
            found.append((run, pid))
        else:
            run.update_status(state="interrupted", ended=time.time(), message=msg("run.process_gone", pid=pid))
    return found


def watch(run: RunDir, target: Process, stop_timeout: float, term_timeout: float, ended: Callable[[], None]) -> None:
    """Follow a training process in a supervised thread: stop it at the wall-clock limit, record how it ended, then
    call `ended` (which frees its slot).

    A watcher that raises (a bug, a file it cannot read) is restarted after WATCH_RETRY_S: its run must still
    be stopped at the time limit, get its final state and free its slot for the next queued run.
    """
    found = time.time()  # an adopted run without a launch time is timed from here
    limited: dict[str, float] = {}  # the CNNAPP_MAX_RUN_MINUTES that stopped it

    def follow() -> None:
        minutes = settings.get().max_run_minutes
        if minutes > 0:
            # from when the process was launched, also by an earlier app (adopted): a restart gives no extra time
            launched = run.status().get("launched") or found
            if not wait_gone(target, max(0.0, launched + minutes * 60 - time.time())):
                limited["minutes"] = minutes
                run.request_stop()
                escalate(run, target, stop_timeout, term_timeout)
        wait_gone(target, None)
        try:
            record_exit(run, target.returncode if isinstance(target, subprocess.Popen) else None)
            minutes = limited.pop("minutes", None)
            if minutes is not None and run.status().get("state") == "cancelled":
                run.update_status(message=msg("run.time_limit", minutes=minutes))
        finally:
            ended()

    def supervised() -> None:
        while True:
            try:
                return follow()
            except Exception:
                traceback.print_exc(file=sys.stderr)
                print(f"the watcher of run {run.id} failed; restarting it", file=sys.stderr)
                time.sleep(WATCH_RETRY_S)

    threading.Thread(target=supervised, daemon=True, name=f"watch-{run.id}").start()


def escalate(run: RunDir, target: Process, stop_timeout: float, term_timeout: float) -> None:
    """After the stop request: SIGTERM after `stop_timeout` seconds, SIGKILL `term_timeout` later."""
    for sig, wait_s in ((signal.SIGTERM, stop_timeout), (signal.SIGKILL, term_timeout)):
        if wait_gone(target, wait_s):
            return
        run.update_status(message=msg("run.sending_signal", signal=sig.name))
        send(target, sig)


def terminate(targets: list[Process], timeout: float) -> None:
    """SIGTERM every process, then SIGKILL those still alive `timeout` seconds later (the app is shutting down)."""
    for target in targets:
        send(target, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for target in targets:
        if not wait_gone(target, max(0.0, deadline - time.monotonic())):
            send(target, signal.SIGKILL)
            if isinstance(target, subprocess.Popen):
                target.wait()  # reaped, not left a zombie


def record_exit(run: RunDir, code: int | None) -> None:
    """Give a run whose process ended without a final state the state that explains why (`code` None: unknown)."""
    # the trainer records completed, failed or cancelled itself; "interrupted" comes from a reader's
    # reconcile() that saw the process gone first, and gets the exact reason here
    if run.status().get("state") not in (*ACTIVE, "interrupted"):
        return
    if run.stop_requested():
        killed = code is not None and code < 0
        state, message = "cancelled", msg("run.stopped_killed" if killed else "run.stopped_on_request")
    elif code is None:
        state, message = "interrupted", msg("run.ended_unknown")
    elif code < 0:
        state, message = "interrupted", msg("run.killed", signal=signal_name(-code))
    elif code > 0 and shutil.disk_usage(run.path).free < DISK_FULL_BYTES:
        state, message = "failed", DISK_FULL_MESSAGE  # the trainer could not write its own last words
    else:
        state, message = "failed", msg("run.exit_code", exit_code=code, log=LOG)
    run.update_status(state=state, ended=time.time(), message=message)


def is_trainer_of(pid: int, run: RunDir) -> bool:
    """Whether `pid` is the training process of `run` (a pid reused by another program after a reboot is not):
    its command line names the run, or (a warm trainer) its output goes to the run's log."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc to ask: trust the recorded pid
    target = run.path.resolve()
    if any(Path(os.fsdecode(arg)).resolve() == target for arg in command if arg):
        return True
    try:
        return Path(os.readlink(f"/proc/{pid}/fd/1")) == run.file(LOG).resolve()
    except OSError:
        return False


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def send(target: Process, sig: signal.Signals) -> None:
    """Send `sig` to a process that may have ended already."""
    if isinstance(target, subprocess.Popen):
        target.send_signal(sig)
        return
    try:
        os.kill(target, sig)
    except ProcessLookupError:
        pass


def wait_gone(target: Process, timeout: float | None) -> bool:
    """True once the process has ended, False when it is still alive after `timeout` seconds (None: no limit)."""
    if isinstance(target, subprocess.Popen):
        try:
            target.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = None if timeout is None else time.monotonic() + timeout
    while pid_alive(target):
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True
