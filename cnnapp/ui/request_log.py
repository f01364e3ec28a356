"""One line per failed request in the server's log, and at most `PER_MINUTE` of them a minute.

Gradio prints a full traceback for every request that fails other than by `gr.Error` (a malformed payload, a value
of the wrong type): 152 malformed calls gave 152 tracebacks, so any visitor could flood the log. `install()` puts
`OneLineTracebacks` in the place of the `traceback` module in gradio's queue and routes: the error's type, its first
line and where it was raised, then a count of what was held back once the minute is over.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from types import ModuleType
from typing import Any, TextIO

PER_MINUTE = 20


class OneLineTracebacks:
    """`traceback` with a `print_exc` that writes one rate-limited line; every other name is the module's."""

    def __init__(self, per_minute: int = PER_MINUTE, stream: TextIO | None = None):
        self.per_minute = per_minute
        self.stream = stream
        self._lock = threading.Lock()
        self._window = 0.0
        self._shown = 0
        self._held = 0

    def print_exc(self, *args: Any, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is None:
            return
        now = time.monotonic()
        with self._lock:
            if now - self._window >= 60:
                if self._held:
                    self._write(f"cnnapp: {self._held} more failed requests in the last minute (not shown)")
                self._window, self._shown, self._held = now, 0, 0
            if self._shown >= self.per_minute:
                self._held += 1
                return
            self._shown += 1
        self._write(f"cnnapp: a request failed: {describe(exc)}")

    def _write(self, line: str) -> None:
        print(line, file=self.stream or sys.stderr, flush=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)


def describe(exc: BaseException) -> str:
    """`Type: first line (file:line)` of an exception, where it was raised."""
    first = (str(exc).splitlines() or [""])[0][:300]
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {first}{where}"


def install() -> None:
    """Use one-line logging in gradio's request handling (idempotent)."""
    import gradio.queueing
    import gradio.routes

    modules: tuple[ModuleType, ...] = (gradio.queueing, gradio.routes)
    shared = next((m.traceback for m in modules if isinstance(m.traceback, OneLineTracebacks)), OneLineTracebacks())
    for module in modules:
        module.traceback = shared  # type: ignore[attr-defined]
