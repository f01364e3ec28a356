"""Background training: every run is its own `python -m cnnapp train` process, queued by a job manager.

The app process never trains. `JobManager.submit` validates a configuration, writes a queued run
directory and starts it when a slot is free (`CNNAPP_MAX_JOBS`, default 1); `resume` queues an ended
run to continue from its checkpoint (`train --resume`). A supervised watcher thread per process (restarted
if it fails) stops it at the wall-clock limit, records how it ended and starts the next queued run.
Stopping is graceful: the cooperative stop request first (the trainer saves a checkpoint), then SIGTERM,
then SIGKILL. A new manager reconciles the workspace and adopts trainings that an earlier app instance
left running: they hold a slot, keep the time limit counted from their launch and are watched to their
end. Every run is reached through `cnnapp.jobs.sessions`, so a session acts only on its own runs.
Longer than most modules because queueing, launching, watching and stopping share one lock and one slot count.

With `CNNAPP_WARM_TRAINER` (the default) the next training's process is started before it is needed:
a `python -m cnnapp warm-trainer` (`cnnapp.jobs.warm`) that has loaded torch and the trainer and waits for
one job. A run takes it, and a fresh one is started for the next run; a warm process that dies while
idle is replaced. A taken process is the run's training process like any other (its pid and launch time
are in the run's status; stop, kill, resume, the time limit and adoption treat it alike).
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
from pathlib import Path
from typing import Any

from cnnapp import cores, settings, workspace
from cnnapp.errors import DISK_FULL_MESSAGE, LimitError, RunError, is_disk_full
from cnnapp.jobs import sessions, warm
from cnnapp.limits import check_free_space
from cnnapp.runs import ACTIVE, CONFIG, LOG, RESUMABLE, STARTED, RunDir, all_runs, get_run, pid_alive
from cnnapp.training import provenance
from cnnapp.training.config import TrainConfig, resolve

NICE = 10  # scheduling priority below the app's: the server's requests win the CPU while a training runs
POLL_S = 0.2  # how often a process that is not our child is checked
WATCH_RETRY_S = 1.0  # a watcher thread that failed starts again after this
DISK_FULL_BYTES = 1024**2  # less free space than this, and a failed trainer is taken to have run out of disk
UPLOAD_GRACE_S = 600.0  # an API upload younger than this is kept: its run may not be recorded yet
WARM_RETRIES = 3  # warm trainers that may die before being ready, in a row, before the manager stops starting them


def default_threads() -> int:
    """Torch threads for a training process: every core but one, so the server keeps one free."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


class WarmTrainer:
    """A started `warm-trainer` process (`cnnapp.jobs.warm`) and what it was started with."""

    def __init__(self, process: subprocess.Popen, key: tuple):
        self.process = process
        self.key = key  # (start-up environment, working folder): a job needs the same to run as a fresh process would
        self.ready = threading.Event()

    def take(self, args: list[str], log: Path, env: dict[str, str]) -> bool:
        """Hand it a job (`cnnapp train` arguments, the run's log, its environment); False when it can no longer
        take one."""
        try:
            self.process.stdin.write(warm.job_line(args, log, env))
            self.process.stdin.close()
        except OSError:
            return False
        return True

    def close(self) -> None:
        """End an idle warm trainer (it holds nothing worth keeping)."""
        self.process.kill()
        self.process.wait()
        try:
            self.process.stdin.close()
        except OSError:
            pass


class JobManager:
    """Queues training runs and runs at most `max_jobs` of them at once, each in its own process.

    Methods taking `session` act only on that session's runs when runs are scoped (`cnnapp.jobs.sessions`).
    """

    def __init__(
        self,
        root: Path | None = None,
        max_jobs: int | None = None,
        threads: int | None = None,
        nice: int = NICE,
        stop_timeout: float = 30.0,
        term_timeout: float = 10.0,
        warm_trainer: bool | None = None,
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
        self.warm_trainer = settings.get().warm_trainer if warm_trainer is None else warm_trainer
        self._warm: WarmTrainer | None = None
        self._warm_failures = 0
        self._closed = False
        self._sessions: dict[str, str | None] = {}  # run id → the session that queued it (fair turns, queue limits)
        self._served: dict[str | None, float] = {}  # session → when its last run started
        self._time_limited: dict[str, float] = {}  # run id → the CNNAPP_MAX_RUN_MINUTES that stopped it
        self._watched_since: dict[str, float] = {}  # run id → when an adopted run without a launch time was found
        self._adopt()

    # ----- requests -----------------------------------------------------------------------
    def submit(
        self,
        config: TrainConfig | dict[str, Any],
        session: str | None = None,
        dataset_name: str | None = None,
        name: str | None = None,
    ) -> RunDir:
        """Queue a run of `config` owned by `session`: a TrainConfig that `config.resolve` returned (the API, the
        grid and the race resolve theirs first), or options (CLI names, plus an optional `name`) resolved here.

        Raises ConfigError before creating anything. The run stores the resolved config once (its training loads
        it as is), its name (default e.g. "EfficientNet-Lite0 · shapes.zip · frozen") and its dataset
        (`dataset_name`, size, content hash).
        """
        sessions.require(session)
        options = {} if isinstance(config, TrainConfig) else dict(config)
        name = provenance.clean_name(options.pop("name", name))
        cfg = config if isinstance(config, TrainConfig) else resolve(TrainConfig.from_dict(options))
        self.admit(session)
        run = RunDir.create(cfg.arch, self.root)
        try:
            sessions.claim(run, session)
            cfg.save(run.file(CONFIG))
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
        except OSError as exc:  # no half-made run folder is left behind
            shutil.rmtree(run.path, ignore_errors=True)
            if is_disk_full(exc):
                raise LimitError(DISK_FULL_MESSAGE) from None
            raise
        self._sessions[run.id] = session
        self._enqueue(run, ["--queued", str(run.path)])
        return run

    def admit(self, session: str | None = None) -> None:
        """Refuse a new run while `session`, or the server, has its limit of queued runs, or the disk is nearly full.

        Raises LimitError. The server-wide cap also bounds a client that opens many sessions.
        """
        limits = settings.get()
        with self._lock:
            waiting = sum(1 for run, _ in self._queue if session and self._sessions.get(run.id) == session)
            total = len(self._queue)
        if waiting >= limits.max_queued_per_session:
            raise LimitError(
                f"you already have {waiting} run(s) waiting, this server's limit "
                f"(set by {settings.ENV_NAMES['max_queued_per_session']}); wait for one to start or stop one"
            )
        if total >= limits.max_queued_total:
            raise LimitError(
                f"{total} runs are already waiting for a slot, this server's limit "
                f"(set by {settings.ENV_NAMES['max_queued_total']}); try again when one has started"
            )
        check_free_space(self.root, limits)

    def resume(self, run_id: str, session: str | None = None) -> str:
        """Queue an interrupted, cancelled or failed run to continue from its checkpoint; returns what will happen."""
        run = sessions.get_run(run_id, self.root, session)
        with self._lock:
            run.require_resumable()
            has_checkpoint = run.has_checkpoint()
            run.clear_stop()
            self._sessions[run.id] = session
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

    def prestart(self, wait: float | None = None) -> WarmTrainer | None:
        """Start the warm trainer now unless one is there (the app calls this at start-up; a taken one is
        replaced by itself). With `wait`, block up to that many seconds until it is ready. None when disabled."""
        with self._lock:
            if self._warm is None and self.warm_trainer and not self._closed and self._warm_failures < WARM_RETRIES:
                self._start_warm()
            current = self._warm
        if current is not None and wait:
            current.ready.wait(wait)
        return current

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel the queue and stop every running process (graceful first), waiting up to `timeout` s."""
        with self._lock:
            self._closed = True
            idle, self._warm = self._warm, None
            if idle is not None:
                idle.close()
            for run, _ in self._queue:
                run.update_status(
                    state="cancelled", ended=time.time(), message="the app shut down before this run started"
                )
            self._queue.clear()
            processes = list(self._processes.items())
            adopted = list(self._adopted.items())
        for run_id, pid in [(run_id, p.pid) for run_id, p in processes] + adopted:
            RunDir.of(run_id, self.root).request_stop()
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
            if status.get("state") not in STARTED or not manager or pid_alive(manager):
                continue
            if not _is_trainer_of(pid, run):
                run.update_status(
                    state="interrupted",
                    ended=time.time(),
                    message=f"the training process (pid {pid}) is gone (the machine restarted)",
                )
                continue
            self._adopted[run.id] = pid
            self._watch(run, pid, self._adopted)
        self._share_cores()
        release_uploads(self.root)

    def _enqueue(self, run: RunDir, args: list[str]) -> None:
        with self._lock:
            self._queue.append((run, args))
        self._pump()

    def _pump(self) -> None:
        """Start queued runs while slots are free, in fair turns: the session served longest ago goes first."""
        with self._lock:
            while self._queue and len(self._processes) + len(self._adopted) < self.max_jobs:
                run, args = self._queue.pop(min(range(len(self._queue)), key=self._turn))
                if run.status().get("state") == "queued":
                    self._served[self._sessions.get(run.id)] = time.monotonic()
                    self._start(run, args)
            self._share_cores()

    def _share_cores(self) -> None:
        """Tell `cores` how many torch threads the trainings running now use (the app's predictions take the rest)."""
        cores.trainings_use(self.threads * (len(self._processes) + len(self._adopted)))

    def _env(self) -> dict[str, str]:
        """The environment of a worker process started now."""
        return {**os.environ, **settings.as_env(home=self.root, threads=self.threads), "PYTHONUNBUFFERED": "1"}

    def _turn(self, index: int) -> tuple:
        """Sort key of the queued run at `index`: sessions with fewer runs in progress, then served longest ago."""
        session = self._sessions.get(self._queue[index][0].id)
        running = sum(1 for run_id in self._processes if session and self._sessions.get(run_id) == session)
        return running, self._served.get(session, 0.0), index

    def _spawn(self, args: list[str], **popen: Any) -> subprocess.Popen:
        """`python -m cnnapp <args>` in this workspace, with the worker's threads, below the app's priority."""
        popen.setdefault("stdin", subprocess.DEVNULL)
        process = subprocess.Popen([sys.executable, "-m", "cnnapp", *args], env=self._env(), **popen)
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
        command = ["train", *args, "--quiet"]
        process = self._take_warm(run, command)
        if process is None:
            with open(run.file(LOG), "ab") as log:
                try:
                    process = self._spawn(command, stdout=log, stderr=subprocess.STDOUT)
                except OSError as exc:
                    run.update_status(
                        state="failed", ended=time.time(), message=f"could not start the training process ({exc})"
                    )
                    return
            run.update_status(pid=process.pid, launched=time.time(), message="starting the training process")
        self._processes[run.id] = process
        self._watch(run, process, self._processes)
        self.prestart()

    # ----- the warm trainer ---------------------------------------------------------------
    def _start_warm(self) -> None:
        """Start a warm trainer (under the lock) and a thread that sees it ready, and replaces it if it dies idle."""
        try:
            process = self._spawn([warm.ENTRY], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError:
            self._warm_failures += 1
            return
        self._warm = WarmTrainer(process, self._warm_key(self._env()))
        threading.Thread(target=self._watch_warm, args=(self._warm,), daemon=True, name="warm-trainer").start()

    def _take_warm(self, run: RunDir, command: list[str]) -> subprocess.Popen | None:
        """Hand `command` to the warm trainer; its process, or None when there is none that can run it as a fresh
        process would (then it is ended)."""
        with self._lock:
            idle, self._warm = self._warm, None
        if idle is None:
            return None
        env = self._env()
        if idle.key == self._warm_key(env) and idle.process.poll() is None:
            # the status is written before the job is sent: from then on the trainer alone writes it
            run.update_status(pid=idle.process.pid, launched=time.time(), message="starting the training process")
            if idle.take(command, run.file(LOG), env):
                return idle.process
        idle.close()
        return None

    @staticmethod
    def _warm_key(env: dict[str, str]) -> tuple:
        return sorted(warm.startup_environment(env).items()), os.getcwd()

    def _watch_warm(self, trainer: WarmTrainer) -> None:
        """Mark `trainer` ready when it says so; when its output ends while it is still idle, it has died: replace it
        (unless it keeps dying before it is ready)."""
        if trainer.process.stdout.readline() == warm.READY:
            trainer.ready.set()
        trainer.process.stdout.read()  # returns once the process has taken a job (its stdout is then the log) or died
        trainer.process.stdout.close()
        with self._lock:
            if self._warm is not trainer:
                return  # taken or closed
            self._warm = None
            trainer.close()
            self._warm_failures = 0 if trainer.ready.is_set() else self._warm_failures + 1
        self.prestart()

    def _watch(self, run: RunDir, target: subprocess.Popen | int, tracked: dict) -> None:
        """Follow a training process (`target`: ours, or the pid of an adopted one) in a supervised thread.

        A watcher that raises (a bug, a file it cannot read) is restarted after WATCH_RETRY_S: its run must still
        be stopped at the time limit, get its final state and free its slot for the next queued run.
        """

        def supervised() -> None:
            while True:
                try:
                    return self._follow(run, target, tracked)
                except Exception:
                    traceback.print_exc(file=sys.stderr)
                    print(f"the watcher of run {run.id} failed; restarting it", file=sys.stderr)
                    time.sleep(WATCH_RETRY_S)

        threading.Thread(target=supervised, daemon=True, name=f"watch-{run.id}").start()

    def _follow(self, run: RunDir, target: subprocess.Popen | int, tracked: dict) -> None:
        """Wait for the process to end, stopping it at the wall-clock limit, then record how it ended."""
        minutes = settings.get().max_run_minutes
        if minutes > 0:
            # from when the process was launched, also by an earlier app (adopted): a restart gives no extra time
            launched = run.status().get("launched") or self._watched_since.setdefault(run.id, time.time())
            if not _wait_gone(target, max(0.0, launched + minutes * 60 - time.time())):
                self._time_limited[run.id] = minutes
                run.request_stop()
                self._escalate(run, target)
        _wait_gone(target, None)
        self._ended(run, target.returncode if isinstance(target, subprocess.Popen) else None, tracked)

    def _ended(self, run: RunDir, code: int | None, tracked: dict) -> None:
        """Record how a training process ended, free its slot and start the next queued run."""
        try:
            _record_exit(run, code)
            minutes = self._time_limited.pop(run.id, None)
            if minutes is not None and run.status().get("state") == "cancelled":
                run.update_status(
                    message=f"stopped after {minutes:g} min, this server's limit for one run (set by "
                    "CNNAPP_MAX_RUN_MINUTES); the best weights so far and a checkpoint were saved: "
                    "resume it to continue"
                )
        finally:
            with self._lock:
                tracked.pop(run.id, None)
            self._pump()
            release_uploads(self.root)

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


def release_uploads(root: Path, grace_s: float = UPLOAD_GRACE_S) -> None:
    """Delete the archives uploaded through the API that no run will read again.

    A run that is waiting, reading or training, or that can be resumed, keeps its archive; a completed run's
    images were extracted (its evaluation reads those), so its archive goes. Folders younger than `grace_s` are
    left alone: their run may be being created.
    """
    folder = workspace.uploads_dir(root)
    if not folder.is_dir():
        return
    needed = set()
    for run in all_runs(root):
        if run.status().get("state", "queued") in (*ACTIVE, *RESUMABLE) and (data := run.config().get("data")):
            needed.add(Path(data).resolve().parent)
    for kept in folder.iterdir():
        try:
            if kept.resolve() not in needed and time.time() - kept.stat().st_mtime > grace_s:
                shutil.rmtree(kept, ignore_errors=True)
        except OSError:  # gone meanwhile
            continue


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
    elif code > 0 and shutil.disk_usage(run.path).free < DISK_FULL_BYTES:
        state, message = "failed", DISK_FULL_MESSAGE  # the trainer could not write its own last words
    else:
        state, message = "failed", f"the training process exited with code {code}; see {LOG}"
    run.update_status(state=state, ended=time.time(), message=message)


def _is_trainer_of(pid: int, run: RunDir) -> bool:
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


def _wait_gone(target: subprocess.Popen | int, timeout: float | None) -> bool:
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
