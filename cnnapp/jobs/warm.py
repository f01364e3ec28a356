"""The warm trainer: a `python -m cnnapp warm-trainer` process, started before it is needed, that waits for one job.

It imports torch, timm, albumentations and the trainer, says `ready` on its stdout and reads one job from
its stdin: a JSON line `{"args": [...], "log": "RUN/train.log", "env": {...}}`. It then takes that
environment, points its stdout and stderr at the log and its stdin at /dev/null, and runs the `cnnapp`
command line with those arguments, exactly as a `python -m cnnapp train ...` process started then
would. The end of its input without a job (the app has gone or closed it) ends it. The job manager
(`cnnapp.jobs.worker`) starts it and hands it the next run.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

ENTRY = "warm-trainer"  # `python -m cnnapp warm-trainer`: dispatched by cnnapp.__main__, not a public subcommand
READY = b"ready\n"
# variables read when the interpreter or torch starts (which code, how many threads, which GPUs): a warm trainer
# started with other values than a job's cannot run it as a fresh process would; it takes the others from the job
# (libraries also set some when imported, e.g. cv2's LD_LIBRARY_PATH: the warm trainer has imported them too)
STARTUP_VARIABLES = ("PYTHON", "OMP_", "MKL_", "CUDA_VISIBLE_DEVICES")


def startup_environment(env: dict[str, str]) -> dict[str, str]:
    """The variables of `env` that a process reads only when it starts."""
    return {k: v for k, v in env.items() if k.startswith(STARTUP_VARIABLES)}


def job_line(args: list[str], log: Path, env: dict[str, str]) -> bytes:
    """What the job manager writes to a warm trainer's stdin to hand it a job."""
    return json.dumps({"args": args, "log": str(log), "env": env}).encode() + b"\n"


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
