"""The Train tab's followed run: its status, progress, curves and log, redrawn while it is active; and Stop.

One state machine, the followed run's id, kept by the browser (`ctx.watched_run`, a BrowserState): Start (the form is
in `cnnapp.ui.train_tab`) and Resume on the Runs tab set it; a reload, before, during or after the run, shows that
run, whatever its state, with its curves and log, until the person starts another. The only other way it changes: a
run of the session's that another tab queued while this one is not active (`reattach`). Each poll reads the run's
files, so a Stop from another tab shows here as "cancelled".
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import gradio as gr

from cnnapp.errors import CnnappError, DataError
from cnnapp.jobs import sessions
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import ACTIVE, RunDir
from cnnapp.training.defaults import FIRST_PAGE
from cnnapp.ui.common import (
    PRIVATE,
    badge,
    curve_plots,
    curves,
    log_tail,
    progress_html,
    run_message,
    run_name,
    shown_state,
    user_errors,
)
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say

POLL_S = 1.0


def idle_status() -> str:
    """What the status shows while no training is followed (the defaults' size: the default architecture's)."""
    return say("train.idle", size=FIRST_PAGE.img_size)


def reattach(jobs: JobManager, session: str | None = None, followed: str | None = None) -> tuple:
    """Once the page knows its session: the run to follow, the timer and a fresh `seen`.

    The run this browser followed stays followed while it is active or while the session has nothing active; a run
    of the session's queued or running elsewhere (another tab, the API) takes its place otherwise. A followed run
    that is gone (deleted, another session's) leaves the panel idle."""
    try:
        run = sessions.get_run(followed, jobs.root, session) if followed else None
    except CnnappError:
        run = None
    active = jobs.active(session)
    if active and (run is None or run.id not in {job.id for job in active}):
        run = active[0]
    return (run.id if run else None), gr.Timer(active=bool(active)), None


def status_line(run: RunDir, status: dict, place: int | None) -> str:
    """Badge, name, id and what is happening (with the place in the queue while waiting)."""
    state = shown_state(run, status)
    message = say("train.stopping") if state == "stopping" else run_message(status)
    if place and state == "queued":
        message = say("train.place", place=place)
    name = html.escape(run_name(status), quote=False)
    return f"{badge(state)} &nbsp;<b>{name}</b> <code>{run.id}</code> · {html.escape(message, quote=False)}"


def refresh(jobs: JobManager, run_id: str | None, seen: Any, session: str | None = None) -> tuple:
    """Read the watched run's files; redraw the curves only when a new epoch arrived."""
    if not run_id:
        return idle_status(), "", None, None, "", gr.Timer(active=False), gr.Button(interactive=False), None, gr.skip()
    try:
        run = sessions.get_run(run_id, jobs.root, session)
    except CnnappError:
        return refresh(jobs, None, seen)
    status = run.reconcile()
    state = status.get("state", "unknown")
    metrics = run.metrics()
    key = [len(metrics), state]
    plots = curves(metrics) if key != seen else (gr.skip(), gr.skip())
    active = state in ACTIVE
    ended = seen is not None and seen[1] in ACTIVE and not active
    return (
        status_line(run, status, jobs.position(run.id)),
        progress_html(run, status),
        *plots,
        log_tail(run, 12),
        gr.Timer(active=active),
        gr.Button(interactive=active and not run.stop_requested()),
        key,
        time.time() if ended else gr.skip(),
    )


def stop_run(jobs: JobManager, run_id: str | None, session: str | None = None) -> tuple[str, gr.Button]:
    """Stop the watched run gracefully; the status says "stopping…" at once."""
    if not run_id:
        raise DataError(say("train.nothing_to_stop"))
    jobs.stop(run_id, session)
    run = sessions.get_run(run_id, jobs.root, session)
    return status_line(run, run.status(), None), gr.Button(interactive=False)


@dataclass
class Panel:
    """What Start updates: the timer that polls, the last drawn state and the event that redraws the panel."""

    timer: gr.Timer
    seen: gr.State
    poll: dict[str, Any]


def build(ctx: UIContext, stop: gr.Button) -> Panel:
    """The panel below Start and `stop` (rendered beside Start by the form), wired to the watched run."""
    status = gr.HTML(elem_id="train-status")
    progress = gr.HTML(elem_id="train-progress")
    loss_plot, acc_plot = curve_plots()
    log = gr.Textbox(label=T("train.log"), lines=8, max_lines=8, interactive=False, elem_classes="cnn-log")
    watched, session = ctx.watched_run, ctx.session
    seen = gr.State(None)
    timer = gr.Timer(POLL_S, active=False)
    poll = {
        "fn": user_errors(partial(refresh, ctx.jobs)),
        "inputs": [watched, seen, session],
        "outputs": [status, progress, loss_plot, acc_plot, log, timer, stop, seen, ctx.runs_changed],
        "show_progress": "hidden",
        **PRIVATE,
    }
    session.change(
        user_errors(partial(reattach, ctx.jobs)), [session, watched], [watched, timer, seen], **PRIVATE
    ).then(**poll)
    ctx.runs_changed.change(**poll)  # e.g. a run resumed on the Runs tab: the timer wakes while it is active
    stop.click(user_errors(partial(stop_run, ctx.jobs)), [watched, session], [status, stop], **PRIVATE)
    timer.tick(**poll, concurrency_limit=None)
    return Panel(timer, seen, poll)
