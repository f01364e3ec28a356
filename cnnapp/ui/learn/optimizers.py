"""The Learn tab's Optimizers sub-tab: the optimizers race on a 2-D surface (trajectories, loss per step), and seven
real runs on the example dataset, one per optimizer, queued through the job manager and followed as they train."""

from __future__ import annotations

import html
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
import pandas as pd

from cnnapp.errors import DataError, LimitError
from cnnapp.jobs import sessions
from cnnapp.jobs.worker import JobManager
from cnnapp.messages import msg
from cnnapp.runs import ACTIVE, STATES
from cnnapp.training.config import LR_MAX, LR_MIN, RACE_PRESETS
from cnnapp.ui.common import EXAMPLE_DATASET, PRIVATE, error_text, pct
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say
from cnnapp.ui.learn.names import names
from cnnapp.ui.learn.shared import Section, dataframe, event, texts
from cnnapp.ui.widgets import bounded_number, bounded_slider

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SURFACE = "Rosenbrock"  # the surface raced first
POLL_S = 3.0
RUNS_COLUMNS = ("optimizer", "run", "state", "epoch", "best_val_acc")  # of the seven runs' table, as `learn.*`
RACE_COLUMNS = ("optimizer", "end_x", "end_y", "end_loss", "diverged")  # of the race's table, as `learn.*`
PRESETS = tuple(RACE_PRESETS)  # shown as `learn.preset_*`


def _runner_labels() -> dict[str, str]:
    from cnnapp.course import optimizer_race

    return {name: names("runner_names").get(name, name) for name in optimizer_race.RUNNERS}


def surface_defaults(name: str) -> tuple[gr.Dropdown, float, float, pd.DataFrame]:
    """The surfaces (the named one chosen), its start point and the learning rates that race well on it (editable)."""
    from cnnapp.course import optimizer_race

    s = optimizer_race.surface(name)
    labels, surfaces = _runner_labels(), names("surfaces")
    lrs = pd.DataFrame(
        {say("learn.optimizer"): [labels[k] for k in s.lrs], say("learn.learning_rate"): list(s.lrs.values())}
    )
    choices = [(surfaces.get(k, k), k) for k in optimizer_race.SURFACES]
    return gr.Dropdown(choices=choices, value=name), s.start[0], s.start[1], lrs


def race_view(name: str, x: float, y: float, steps: float, lrs: pd.DataFrame) -> tuple[Figure, pd.DataFrame]:
    """Race the optimizers on the surface from (x, y): trajectories over contours, loss per step, where each ended."""
    from cnnapp.course import convolution, optimizer_race

    t = texts("step", "loss_above_min", "yes", "no", "optimizer", "end_x", "end_y", "end_loss", "diverged")
    if x is None or y is None or lrs is None or lrs.empty:  # the tab was opened before its starting values arrived
        _, x, y, lrs = surface_defaults(name)
    rates = (
        convolution.as_matrix(lrs.iloc[:, 1:], msg("course.table.learning_rates"))[:, 0]
        if isinstance(lrs, pd.DataFrame)
        else []
    )
    if len(rates) != len(optimizer_race.RUNNERS):
        raise DataError(msg("course.race_rates", count=len(optimizer_race.RUNNERS)))
    trajectories = optimizer_race.race(name, (float(x), float(y)), int(steps), dict(zip(optimizer_race.RUNNERS, rates)))
    labels = _runner_labels()
    shown = {labels[k]: v for k, v in trajectories.items()}
    figure = optimizer_race.race_figure(name, shown, {"step": t["step"], "loss": t["loss_above_min"]})
    figure.axes[0].set_title(f"{names('surfaces').get(name, name)}: {optimizer_race.surface(name).formula}")
    table = optimizer_race.final_table(shown).assign(
        loss=lambda f: f["loss"].map(lambda v: f"{v:.4g}"),
        diverged=lambda f: f["diverged"].map({True: t["yes"], False: t["no"]}),
    )
    columns = {
        "optimizer": t["optimizer"],
        "x": t["end_x"],
        "y": t["end_y"],
        "loss": t["end_loss"],
        "diverged": t["diverged"],
    }
    return figure, table.rename(columns=columns)


def queue_runs(
    jobs: JobManager, preset: str, epochs: float, lr: float | None, session: str | None = None
) -> tuple[list[str], gr.Timer, float]:
    """Queue the seven optimizer runs on the example dataset through the job manager, for the session, as one request;
    refused (a limit of `admission`), the page says why in a warning and keeps the runs it shows (a raised error
    would put a red badge over them)."""
    from cnnapp.course import optimizer_race

    if not EXAMPLE_DATASET.is_dir():
        raise DataError(say("learn.no_example"))
    base = optimizer_race.base_config(EXAMPLE_DATASET, preset, int(epochs), float(lr or 3e-3))
    try:
        runs = optimizer_race.queue_optimizer_runs(base, partial(jobs.submit_all, session=session))
    except LimitError as exc:
        gr.Warning(html.escape(error_text(exc), quote=False))
        return gr.skip(), gr.skip(), gr.skip()
    gr.Info(say("learn.queued"))
    return [r.id for r in runs], gr.Timer(active=True), time.time()


def show_runs(
    root: Path, run_ids: list[str] | None, session: str | None = None
) -> tuple[str, pd.DataFrame, Figure | None, gr.Timer]:
    """The seven runs' states and their validation curves overlaid; the poll timer runs while any is active."""
    from cnnapp.course import optimizer_race

    t = texts("epoch", "val_acc_axis", "val_loss_axis")
    columns = [say(f"learn.{k}") for k in RUNS_COLUMNS]
    runs = [sessions.get_run(r, root, session) for r in run_ids or []]
    if not runs:
        return say("learn.no_runs"), pd.DataFrame(columns=columns), None, gr.Timer(active=False)
    summaries = [r.summary() for r in runs]
    table = pd.DataFrame(
        [
            [
                optimizer_race.NAMES.get(s["optimizer"], s["optimizer"]),
                s["run_id"],
                say(f"compare.state_{s['state']}") if s["state"] in STATES else s["state"],
                f"{s['epoch']}/{s['epochs']}",
                pct(s["best_val_acc"]),
            ]
            for s in summaries
        ],
        columns=columns,
    )
    curves = optimizer_race.optimizer_curves(runs)
    curves["optimizer"] = curves["optimizer"].map(lambda o: optimizer_race.NAMES.get(o, o))
    labels = {"epoch": t["epoch"], "val_acc": t["val_acc_axis"], "val_loss": t["val_loss_axis"]}
    active = any(s["state"] in ACTIVE for s in summaries)
    return "", table, optimizer_race.curves_figure(curves, labels), gr.Timer(active=active)


def poll_runs(root: Path, run_ids: list[str] | None, session: str | None = None) -> tuple:
    """`show_runs` on the timer; when the last run ends, tell the other tabs that runs changed."""
    shown = show_runs(root, run_ids, session)
    return *shown, (gr.skip() if shown[-1].active else time.time())


def build(ctx: UIContext) -> Section:
    """The sub-tab's layout; the surface's defaults are filled when the page loads, the race and the runs' table
    (its headers in the visitor's language) drawn when the sub-tab is opened."""
    gr.Markdown(T("learn.race_text"))
    with gr.Row():
        with gr.Column(min_width=260, scale=1):
            c = {
                "surface": gr.Dropdown([SURFACE], value=SURFACE, label=T("learn.surface"), elem_id="learn-surface"),
            }
            with gr.Row():
                c["x"] = gr.Number(label=T("learn.start_x"), min_width=90)
                c["y"] = gr.Number(label=T("learn.start_y"), min_width=90)
            c["steps"] = bounded_slider(10, 1000, value=300, step=10, label_key="learn.steps")
            c["lrs"] = dataframe(T("learn.lrs"), "learn-race-lrs", interactive=True, row_count=8)
            c["go"] = gr.Button(T("learn.race"), variant="primary", elem_id="learn-race")
        with gr.Column(scale=3):
            c["plot"] = gr.Plot(label=T("learn.race_plot"), format="png", show_label=False, elem_id="learn-race-plot")
            headers = [say(f"learn.{k}") for k in RACE_COLUMNS]
            c["table"] = dataframe(T("learn.race_table"), "learn-race-table", interactive=False, headers=headers)
    gr.Markdown(T("learn.runs_text"))
    with gr.Row(equal_height=True):
        presets = [(T(f"learn.preset_{k}"), k) for k in PRESETS]
        c["preset"] = gr.Radio(presets, value="lenet5", label=T("learn.model"))
        c["epochs"] = bounded_slider(1, 5, value=3, step=1, label_key="learn.epochs")
        c["lr"] = bounded_number(3e-3, LR_MIN, LR_MAX, label_key="learn.run_lr", min_width=120)
    with gr.Row():
        c["queue"] = gr.Button(T("learn.queue"), variant="primary", elem_id="learn-queue-optimizers")
        c["refresh"] = gr.Button(T("learn.refresh"), elem_id="learn-refresh-optimizers", scale=0, min_width=140)
    c["ids"] = gr.State([])
    c["empty"] = gr.Markdown(T("learn.no_runs"))
    headers = [say(f"learn.{k}") for k in RUNS_COLUMNS]
    c["runs"] = dataframe(T("learn.runs_table"), "learn-optimizer-runs", interactive=False, headers=headers)
    c["curves"] = gr.Plot(label=T("learn.runs_plot"), format="png", show_label=False, elem_id="learn-optimizer-curves")
    c["timer"] = gr.Timer(POLL_S, active=False)
    raced = event(race_view, [c["surface"], c["x"], c["y"], c["steps"], c["lrs"]], [c["plot"], c["table"]])
    shown = event(
        partial(show_runs, ctx.root),
        [c["ids"], ctx.session],
        [c["empty"], c["runs"], c["curves"], c["timer"]],
        show_progress="hidden",
    )
    return Section(c, partial(_wire, ctx, c, raced, shown), [raced, shown])


def _wire(ctx: UIContext, c: dict, raced: dict, shown: dict) -> None:
    """A surface's defaults race again; the runs are queued for the visitor's session, then polled while active."""
    defaults = event(surface_defaults, [c["surface"]], [c["surface"], c["x"], c["y"], c["lrs"]])
    ctx.demo.load(**defaults)
    ctx.demo.load(**shown)  # the empty tables' headers in the page's language (built before any page asked)
    ctx.demo.load(lambda: pd.DataFrame(columns=[say(f"learn.{k}") for k in RACE_COLUMNS]), None, c["table"], **PRIVATE)
    c["surface"].input(**defaults).then(**raced)
    c["go"].click(**raced)
    queued = event(
        partial(queue_runs, ctx.jobs),
        [c["preset"], c["epochs"], c["lr"], ctx.session],
        [c["ids"], c["timer"], ctx.runs_changed],
        trigger_mode="once",  # a second click while the runs are queued must not queue them again
    )
    c["queue"].click(**queued).then(**shown)
    c["refresh"].click(**shown)
    polled = event(
        partial(poll_runs, ctx.root),
        [c["ids"], ctx.session],
        [c["empty"], c["runs"], c["curves"], c["timer"], ctx.runs_changed],
        show_progress="hidden",
    )
    c["timer"].tick(**polled)
