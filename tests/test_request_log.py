"""A failed request is one line in the server's log, rate-limited: no visitor can flood it with tracebacks."""

from __future__ import annotations

import io
import re

import gradio.queueing
import gradio.routes

from cnnapp.ui import request_log
from cnnapp.ui.request_log import OneLineTracebacks

FIRST = (
    r"cnnapp: a request failed: ValueError: invalid literal for int\(\) with base 10: 'not a number 0' "
    r"\(test_request_log\.py:\d+\)"
)


def fail(log: OneLineTracebacks, n: int) -> None:
    for i in range(n):
        try:
            int(f"not a number {i}")
        except ValueError:
            log.print_exc()


def test_each_failed_request_is_one_line_and_a_flood_is_counted_not_printed(monkeypatch):
    stream = io.StringIO()
    log = OneLineTracebacks(per_minute=5, stream=stream)
    fail(log, 152)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 5 and "Traceback" not in stream.getvalue()
    assert re.fullmatch(FIRST, lines[0]), lines[0]
    clock = iter([1e9])
    monkeypatch.setattr(request_log.time, "monotonic", lambda: next(clock))  # a minute later
    fail(log, 1)
    later = stream.getvalue().splitlines()[5:]
    assert later[0] == "cnnapp: 147 more failed requests in the last minute (not shown)"
    assert re.fullmatch(FIRST, later[1]) and len(later) == 2


def test_the_app_installs_it_in_gradios_queue_and_routes(monkeypatch, workspace):
    from cnnapp.ui import build_app

    monkeypatch.setattr(gradio.queueing, "traceback", gradio.queueing.traceback)
    monkeypatch.setattr(gradio.routes, "traceback", gradio.routes.traceback)
    build_app(workspace)
    assert isinstance(gradio.queueing.traceback, OneLineTracebacks)
    assert gradio.queueing.traceback is gradio.routes.traceback
    assert gradio.queueing.traceback.format_exc is not None, "the module's other names still answer"
