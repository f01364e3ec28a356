"""Background training: every run is its own `python -m cnnapp train` process, queued by a job manager.

The app process never trains. `JobManager.submit` validates a configuration, writes a queued run
directory and starts it when a slot is free (`CNNAPP_MAX_JOBS`, default 1); `resume` queues an ended
run to continue from its checkpoint (`train --resume`). Slots are given in fair turns between sessions. A
supervised watcher per process (`cnnapp.jobs.processes`) stops it at the wall-clock limit, records how it ended
and frees its slot for the next queued run. Stopping is graceful: the cooperative stop request first (the trainer
saves a checkpoint), then SIGTERM, then SIGKILL. A new manager reconciles the workspace and adopts trainings that
an earlier app instance left running: they hold a slot, keep the time limit counted from their launch and are
watched to their end. Every run is reached through `cnnapp.jobs.sessions`, so a session acts only on its own runs.

With `CNNAPP_WARM_TRAINER` (the default) a run starts in the warm trainer (`cnnapp.jobs.warm`), a process started
before it was needed with torch and the trainer loaded; without one that can run it, the run starts cold in a
fresh process. A taken warm trainer is the run's training process like any other (its pid and launch time are
in the run's status; stop, kill, resume, the time limit and adoption treat it alike).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from cnnapp import cores, settings, workspace
from cnnapp.errors import LimitError, RunError, is_disk_full
from cnnapp.jobs import admission, processes, sessions, warm
from cnnapp.jobs.admission import Request
from cnnapp.jobs.fair_queue import FairQueue
from cnnapp.jobs.uploads import GRACE_S, release_uploads
from cnnapp.messages import Message, msg
from cnnapp.runs import ACTIVE, CONFIG, LOG, STATES, RunDir, get_run, pid_alive
from cnnapp.training import provenance
from cnnapp.training.config import TrainConfig, resolve


class JobManager:
    """Queues training runs and runs at most `max_jobs` of them at once, each in its own process.

    Methods taking `session` act only on that session's runs when runs are scoped (`cnnapp.jobs.sessions`).
    A little longer than 200 lines: queueing, starting and freeing slots share one lock and one slot count, so they
    stay in this class; the queue's order, the processes and the warm trainer are in their own modules.
    """

    def __init__(
        self,
        root: Path | None = None,
        max_jobs: int | None = None,
        threads: int | None = None,
        nice: int = processes.NICE,
        stop_timeout: float = 30.0,
        term_timeout: float = 10.0,
        warm_trainer: bool | None = None,
    ):
        self.root = Path(root) if root else workspace.home()
        self.max_jobs = max_jobs or settings.get().max_jobs
        self.threads = threads or settings.get().worker_threads or processes.default_threads()
        self.nice = nice
        self.stop_timeout = stop_timeout
        self.term_timeout = term_timeout
        self._lock = threading.RLock()
        self._processes: dict[str, subprocess.Popen] = {}
        self._adopted: dict[str, int] = {}  # run id → pid of a training started by an earlier app instance
        enabled = settings.get().warm_trainer if warm_trainer is None else warm_trainer
        self._standby = warm.Standby(self._spawn, self._env, enabled)
        self._sessions: dict[str, str | None] = {}  # run id → the session that queued it (fair turns, queue limits)
        self._queue = FairQueue(self._sessions)
        self._tools: dict[str, Request] = {}  # request id → a learning-rate finder running now (it counts as waiting)
        self._adopt()

    # ----- requests -----------------------------------------------------------------------
    def submit(
        self,
        config: TrainConfig | dict[str, Any],
        session: str | None = None,
        dataset_name: str | None = None,
        name: str | None = None,
    ) -> RunDir:
        """Queue one run of `config` owned by `session` (a Start: see `submit_all`)."""
        return self.submit_all([config], session, "start", dataset_name, names=[name])[0]

    def submit_all(
        self,
        configs: list[TrainConfig | dict[str, Any]],
        session: str | None = None,
        kind: str = "start",
        dataset_name: str | None = None,
        names: list[str | None] | None = None,
        details: list[str | None] | None = None,
    ) -> list[RunDir]:
        """Queue the runs of one request (a Start, a Compare grid, the optimizer race), admitted whole or refused
        whole before any run exists (`admission`).

        Each config is a TrainConfig that `config.resolve` returned (the API, the grid and the race resolve theirs
        first), or options (CLI names, plus an optional `name`) resolved here. Raises ConfigError or LimitError
        before creating anything. Each run stores its resolved config once (its training loads it as is), its name
        (default e.g. "EfficientNet-Lite0 · shapes.zip · frozen", with `details[i]` after it: what tells the runs of
        a request apart) and its dataset (`dataset_name`, size, content hash).
        """
        sessions.require(session)
        names, details = names or [None] * len(configs), details or [None] * len(configs)
        resolved = []
        for config, name in zip(configs, names, strict=True):
            options = {} if isinstance(config, TrainConfig) else dict(config)
            name = provenance.clean_name(options.pop("name", name))
            resolved.append(
                (config if isinstance(config, TrainConfig) else resolve(TrainConfig.from_dict(options)), name)
            )
        request = self.admit(Request(kind, session, runs=len(resolved)))
        made: list[RunDir] = []
        try:
            for (cfg, name), detail in zip(resolved, details, strict=True):
                made.append(self._create(cfg, session, name, dataset_name, detail))
        except OSError as exc:  # no half-made request is left behind
            for run in made:
                shutil.rmtree(run.path, ignore_errors=True)
            if is_disk_full(exc):
                raise LimitError(msg("error.disk_full")) from None
            raise
        for run in made:
            self._sessions[run.id] = session
        with self._lock:
            for run in made:
                self._queue.add(run, ["--queued", str(run.path)], request)
        self._pump()
        release_uploads(self.root)  # the uploads of runs stopped a while ago (the new runs name theirs)
        return made

    def _create(
        self, cfg: TrainConfig, session: str | None, name: str, dataset_name: str | None, detail: str | None
    ) -> RunDir:
        """A queued run's folder: owner, config, name, dataset and status. Raises OSError (the folder removed)."""
        run = RunDir.create(cfg.arch, self.root)
        try:
            sessions.claim(run, session)
            cfg.save(run.file(CONFIG))
            provenance.record(run, cfg, name, dataset_name, detail)
            run.update_status(
                state="queued",
                manager_pid=os.getpid(),
                created=time.time(),
                epoch=0,
                epochs=cfg.epochs + cfg.unfreeze_epochs,
                message=msg("run.waiting"),
            )
        except OSError:
            shutil.rmtree(run.path, ignore_errors=True)
            raise
        return run

    def admit(self, request: Request | str | None = None) -> Request:
        """Admit `request` (a session alone: one Start) by `admission`'s rule, or raise LimitError; return it."""
        if not isinstance(request, Request):
            request = Request("start", request)
        with self._lock:
            admission.check(request, [*self._queue.waiting(), *self._tools.values()], self.root)
        return request

    def resume(self, run_id: str, session: str | None = None) -> str:
        """Queue an interrupted, cancelled or failed run to continue from its checkpoint; returns what will happen."""
        run = sessions.get_run(run_id, self.root, session)
        data = run.config().get("data")
        if data and not Path(data).exists():  # an upload is kept a while after its run stopped (`uploads.GRACE_S`)
            raise RunError(msg("jobs.dataset_gone", run=run.id, minutes=GRACE_S / 60))
        with self._lock:
            run.require_resumable()
            request = self.admit(Request("resume", session))
            has_checkpoint = run.has_checkpoint()
            run.clear_stop()
            self._sessions[run.id] = session
            run.update_status(
                state="queued",
                manager_pid=os.getpid(),
                message=msg("run.waiting_resume" if has_checkpoint else "run.waiting_restart"),
            )
            self._enqueue(run, ["--resume", str(run.path)], request)
        epoch = run.status().get("epoch") or 0
        return f"run {run.id} queued to " + (
            f"continue after epoch {epoch}" if has_checkpoint else "start again from the first epoch"
        )

    def stop(self, run_id: str, session: str | None = None) -> Message:
        """Cancel a queued run or stop a running one gracefully; returns what was done, for the user."""
        run = sessions.get_run(run_id, self.root, session)
        with self._lock:
            if self._queue.remove(run.id):
                run.update_status(state="cancelled", ended=time.time(), message=msg("run.cancelled_before_start"))
                return msg("jobs.cancelled_queued")
            process = self._processes.get(run.id)
        status = run.reconcile()
        pid = process.pid if process is not None else status.get("pid")
        if status.get("state") not in ACTIVE or not pid_alive(pid):
            state = status.get("state")
            raise RunError(
                msg("jobs.not_running", run=run.id, state=msg(f"state.{state}") if state in STATES else state)
            )
        run.request_stop()
        escalation = (run, process or pid, self.stop_timeout, self.term_timeout)
        threading.Thread(target=processes.escalate, args=escalation, daemon=True, name=f"stop-{run.id}").start()
        return msg("jobs.stopping")

    def position(self, run_id: str) -> int | None:
        """1 for the next queued run to start, 2 for the one after…; None when the run is not waiting in this queue."""
        with self._lock:
            return self._queue.position(run_id)

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

    def prestart(self, wait: float | None = None) -> warm.WarmTrainer | None:
        """Start the warm trainer now unless one is there (the app calls this at start-up; a taken one is
        replaced by itself). With `wait`, block up to that many seconds until it is ready. None when disabled."""
        return self._standby.prestart(wait)

    def run_tool(self, args: list[str], timeout: float, session: str | None = None) -> subprocess.CompletedProcess:
        """Run a short cnnapp command (e.g. `lr-find`) as trainings run and wait for it (`processes.run_tool`).

        It is a request like a Start (`admission`): refused while `session` or the server has its limit waiting, and
        counted as waiting while it runs. Raises LimitError."""
        request = self.admit(Request(args[0], session, runs=0))
        with self._lock:
            self._tools[request.id] = request
        try:
            return processes.run_tool(args, self._env(), self.nice, timeout)
        finally:
            with self._lock:
                self._tools.pop(request.id, None)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel the queue and stop every running process (graceful first), waiting up to `timeout` s."""
        with self._lock:
            self._standby.close()
            for run, _ in self._queue.jobs:
                run.update_status(state="cancelled", ended=time.time(), message=msg("run.shut_down_before_start"))
            self._queue.jobs.clear()
            running = [*self._processes.items(), *self._adopted.items()]
        for run_id, _ in running:
            RunDir.of(run_id, self.root).request_stop()
        processes.terminate([target for _, target in running], timeout)

    # ----- the queue and its processes --------------------------------------------------------
    def _adopt(self) -> None:
        """Reconcile the workspace; monitor trainings left running by an app instance that has gone."""
        for run, pid in processes.left_running(self.root):
            self._adopted[run.id] = pid
            self._watch(run, pid, self._adopted)
        self._share_cores()
        release_uploads(self.root)

    def _enqueue(self, run: RunDir, args: list[str], request: Request | None = None) -> None:
        with self._lock:
            self._queue.add(run, args, request or Request("start", self._sessions.get(run.id)))
        self._pump()

    def _pump(self) -> None:
        """Start queued runs while slots are free, in fair turns: the session served longest ago goes first."""
        with self._lock:
            while self._queue.jobs and len(self._processes) + len(self._adopted) < self.max_jobs:
                run, args = self._queue.pop(list(self._processes))
                if run.status().get("state") == "queued":
                    self._queue.served(run)
                    self._start(run, args)
            self._share_cores()

    def _share_cores(self) -> None:
        """Tell `cores` how many torch threads the trainings running now use (the app's predictions take the rest)."""
        cores.trainings_use(self.threads * (len(self._processes) + len(self._adopted)))

    def _env(self) -> dict[str, str]:
        return processes.environment(self.root, self.threads)

    def _spawn(self, args: list[str], **popen: Any) -> subprocess.Popen:
        """`python -m cnnapp <args>` in this workspace, with the worker's threads, below the app's priority."""
        return processes.spawn(args, self._env(), self.nice, **popen)

    def _start(self, run: RunDir, args: list[str]) -> None:
        """Start a queued run (under the lock) in the warm trainer, or cold in a fresh process."""
        command, log, env = ["train", *args, "--quiet"], run.file(LOG), self._env()
        process = self._standby.hand(command, log, env, lambda pid: self._launched(run, pid))
        if process is None:
            with open(log, "ab") as out:
                try:
                    process = self._spawn(command, stdout=out, stderr=subprocess.STDOUT)
                except OSError as exc:
                    run.update_status(
                        state="failed", ended=time.time(), message=msg("run.start_failed", reason=str(exc))
                    )
                    return
            self._launched(run, process.pid)
        self._processes[run.id] = process
        self._watch(run, process, self._processes)
        self._standby.prestart()

    @staticmethod
    def _launched(run: RunDir, pid: int) -> None:
        run.update_status(pid=pid, launched=time.time(), message=msg("run.starting_process"))

    def _watch(self, run: RunDir, target: processes.Process, tracked: dict) -> None:
        """Follow a training process (ours, or an adopted pid, kept in `tracked`) until it ends and frees its slot."""

        def ended() -> None:
            with self._lock:
                tracked.pop(run.id, None)
            self._pump()
            release_uploads(self.root)

        processes.watch(run, target, self.stop_timeout, self.term_timeout, ended)
