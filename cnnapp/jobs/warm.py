"""The warm trainer: a `python -m cnnapp warm-trainer` process, started before it is needed, that waits for one job.

Both ends of its protocol are here. The trainer's end (`serve`) imports torch, timm, albumentations and the
trainer, says `ready` on its stdout and reads one job from its stdin: a JSON line
`{"args": [...], "log": "RUN/train.log", "env": {...}}` (`job_line`). It then takes that environment, points its
stdout and stderr at the log and its stdin at /dev/null, and runs the `cnnapp` command line with those arguments,
exactly as a `python -m cnnapp train ...` process started then would. The end of its input without a job (the app
has gone or closed it) ends it.

The job manager's end (`Standby`) keeps one warm trainer started for the next run, hands it that run when it was
started with the same start-up environment, and replaces it when it is taken or dies idle (giving up after
WARM_RETRIES that died before being ready).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

ENTRY = "warm-trainer"  # `python -m cnnapp warm-trainer`: dispatched by cnnapp.__main__, not a public subcommand
READY = b"ready\n"
# variables read when the interpreter or torch starts (which code, how many threads, which GPUs): a warm trainer
# started with other values than a job's cannot run it as a fresh process would; it takes the others from the job
# (libraries also set some when imported, e.g. cv2's LD_LIBRARY_PATH: the warm trainer has imported them too)
STARTUP_VARIABLES = ("PYTHON", "OMP_", "MKL_", "CUDA_VISIBLE_DEVICES")
WARM_RETRIES = 3  # warm trainers that may die before being ready, in a row, before the manager stops starting them


def startup_environment(env: dict[str, str]) -> dict[str, str]:
    """The variables of `env` that a process reads only when it starts."""
    return {k: v for k, v in env.items() if k.startswith(STARTUP_VARIABLES)}


def job_line(args: list[str], log: Path, env: dict[str, str]) -> bytes:
    """What the job manager writes to a warm trainer's stdin to hand it a job."""
    return json.dumps({"args": args, "log": str(log), "env": env}).encode() + b"\n"


def key(env: dict[str, str]) -> tuple:
    """What a warm trainer started with `env` shares with a fresh process only if the job's `env` gives the same:
    its start-up environment and working folder."""
    return sorted(startup_environment(env).items()), os.getcwd()


def preload() -> None:
    """Import what every training needs and run one tiny convolution (first-call kernel set-up)."""
    import albumentations  # noqa: F401
    import timm  # noqa: F401
    import torch

    import cnnapp.training.train  # noqa: F401  (the command line itself was imported by cnnapp.__main__)

    with torch.inference_mode():
        torch.nn.functional.conv2d(torch.zeros(1, 3, 8, 8), torch.zeros(4, 3, 3, 3))


def preload_server(arch: str) -> None:
    """The app process's share of warming up, run in a background thread once the page is being served: import the
    engine (torch, timm: ~5 s on 2 cores) and check the default settings, so the first Start or `/start_training`
    returns at once instead of paying that import."""
    from cnnapp.serving import inference  # noqa: F401
    from cnnapp.training.config import TrainConfig, resolve
    from cnnapp.training.defaults import recommended_size

    resolve(TrainConfig(data=".", arch=arch, img_size=recommended_size(arch)))


def redirect(log: str) -> None:
    """Send stdout and stderr to `log` (appending, as the job manager opens it for a cold start), stdin from null."""
    sys.stdout.flush()
    sys.stderr.flush()
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    for source, target in ((out, 1), (out, 2), (null, 0)):
        os.dup2(source, target)
    os.close(out)
    os.close(null)


def serve(run: Callable[[list[str]], int]) -> int:
    """Load, say ready, wait for one job and run it with `run` (the command line's main); 0 when the input ends
    without one."""
    preload()
    os.write(1, READY)
    line = sys.stdin.buffer.readline()
    if not line.strip():
        return 0
    job = json.loads(line)
    os.environ.clear()
    os.environ.update(job["env"])
    redirect(job["log"])
    return run(job["args"])


# ----- the job manager's end ------------------------------------------------------------------------------------
class WarmTrainer:
    """A started `warm-trainer` process and what it was started with."""

    def __init__(self, process: subprocess.Popen, key: tuple):
        self.process = process
        self.key = key  # `key()` of its environment: a job needs the same to run as a fresh process would
        self.ready = threading.Event()

    def take(self, args: list[str], log: Path, env: dict[str, str]) -> bool:
        """Hand it a job (`cnnapp train` arguments, the run's log, its environment); False when it can no longer
        take one."""
        try:
            self.process.stdin.write(job_line(args, log, env))
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


class Standby:
    """The job manager's warm trainer: at most one, started ahead of the run that will take it.

    `spawn(args, **popen)` starts `python -m cnnapp <args>` as the manager starts a training, `environment()` is the
    environment it gives one started now. The manager calls `prestart` when the next run may need one and `hand` to
    give a run to it; `hand` answering None means "start it cold".
    """

    def __init__(
        self, spawn: Callable[..., subprocess.Popen], environment: Callable[[], dict[str, str]], enabled: bool
    ):
        self.enabled = enabled
        self._spawn = spawn
        self._environment = environment
        self._lock = threading.Lock()
        self._idle: WarmTrainer | None = None
        self._failures = 0  # died before being ready, in a row
        self._closed = False

    def prestart(self, wait: float | None = None) -> WarmTrainer | None:
        """Start the warm trainer now unless one is there; with `wait`, block up to that many seconds until it is
        ready. None when disabled, closed or given up."""
        with self._lock:
            if self._idle is None and self.enabled and not self._closed and self._failures < WARM_RETRIES:
                self._start()
            current = self._idle
        if current is not None and wait:
            current.ready.wait(wait)
        return current

    def hand(
        self, args: list[str], log: Path, env: dict[str, str], claim: Callable[[int], None]
    ) -> subprocess.Popen | None:
        """Hand a job to the warm trainer: the process that now runs it, or None when there is none that can run it
        as a fresh process would (then it is ended).

        `claim(pid)` records the process in the run's status before the job is sent: from then on the trainer alone
        writes it.
        """
        with self._lock:
            idle, self._idle = self._idle, None
        if idle is None:
            return None
        if idle.key == key(env) and idle.process.poll() is None:
            claim(idle.process.pid)
            if idle.take(args, log, env):
                return idle.process
        idle.close()
        return None

    def close(self) -> None:
        """End the idle warm trainer and start no other (the app is shutting down)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, None
        if idle is not None:
            idle.close()

    def _start(self) -> None:
        """Start a warm trainer (under the lock) and a thread that sees it ready, and replaces it if it dies idle."""
        try:
            process = self._spawn([ENTRY], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError:
            self._failures += 1
            return
        self._idle = WarmTrainer(process, key(self._environment()))
        threading.Thread(target=self._watch, args=(self._idle,), daemon=True, name="warm-trainer").start()

    def _watch(self, trainer: WarmTrainer) -> None:
        """Mark `trainer` ready when it says so; when its output ends while it is still idle, it has died: replace it
        (unless it keeps dying before it is ready)."""
        if trainer.process.stdout.readline() == READY:
            trainer.ready.set()
        trainer.process.stdout.read()  # returns once the process has taken a job (its stdout is then the log) or died
        trainer.process.stdout.close()
        with self._lock:
            if self._idle is not trainer:
                return  # taken or closed
            self._idle = None
            self._failures = 0 if trainer.ready.is_set() else self._failures + 1
        trainer.close()
        self.prestart()
