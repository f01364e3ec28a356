"""How the app process shares the CPU cores between its own predictions and the trainings it runs.

Torch-free (the job manager updates it; the app's first page must not import torch). Measured on 2 cores while a
training ran beside it: live classification at 2 torch threads managed ~1 update/s, at 1 thread ~23/s (two
processes spinning on the same cores slow both), so predictions take the cores the trainings leave.
"""

from __future__ import annotations

import os
import threading

from cnnapp import settings

_lock = threading.Lock()
_training_threads = 0  # torch threads of the trainings the app's job manager runs now


def trainings_use(threads: int) -> None:
    """Record how many torch threads the app's running trainings use (the job manager calls this)."""
    global _training_threads
    with _lock:
        _training_threads = max(0, threads)


def inference_threads() -> int:
    """Torch threads for the app's predictions: `CNNAPP_INFERENCE_THREADS`, else the cores no training uses (≥ 1)."""
    chosen = settings.get().inference_threads
    if chosen:
        return chosen
    return max(1, len(os.sched_getaffinity(0)) - _training_threads)
