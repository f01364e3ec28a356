"""Runs tab: every run of the session; select one for its details and curves, its weights, to resume or delete it."""

from __future__ import annotations

import html
import shutil
import tempfile
import time
from functools import partial
from pathlib import Path

import gradio as gr
import pandas as pd

from cnnapp.errors import CnnappError, RunError
from cnnapp.jobs import sessions
from cnnapp.jobs.worker import JobManager
from cnnapp.messages import msg
from cnnapp.runs import ACTIVE, RESUMABLE, RunDir
from cnnapp.training import provenance
from cnnapp.ui.common import (
    PRIVATE,
    badge,
    curve_plots,
    curves,
    duration,
    engine_text,
    listed_name,
    pct,
    run_message,
    shown_state,
    state_name,
    user_errors,
)
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say

TITLE = "4 · Runs"
POLL_S = 5.0
COLUMNS = [
    "run",
    "name",
    "dataset",
    "state",
    "architecture",
    "pretrained",
    "frozen",
    "lr head",
    "lr backbone",
    "epochs",
    "best val acc",
    "balanced acc",
    "macro f1",
    "duration",
    "created",
]


def _flag(value: object) -> str:
    return "—" if value is None or pd.isna(value) else say("common.yes" if value else "common.no")


def _rate(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):g}"


def _state(state: str, place: int | None) -> str:
    return say("runs.queued_place", place=place) if state == "queued" and place else state_name(state)


def runs_frame(root: Path, session: str | None = None, jobs: JobManager | None = None) -> pd.DataFrame:
    """The session's runs as shown to people, queued ones with their place in `jobs`' queue (the API's `/list_runs`
    gives the raw values)."""
    frame = sessions.list_runs(root, session)
    place = jobs.position if jobs else lambda _: None
    return pd.DataFrame(
        {
            "run": frame["run_id"],
            "name": [listed_name(root, run, name) for run, name in zip(frame["run_id"], frame["name"])],
            "dataset": frame["dataset"],
            "state": [_state(state, place(r)) for state, r in zip(frame["state"], frame["run_id"])],
            "architecture": frame["arch"],
            "pretrained": frame["pretrained"].map(_flag),
            "frozen": frame["freeze"].map(_flag),
            "lr head": frame["lr_head"].map(_rate),
            "lr backbone": frame["lr_backbone"].map(_rate),
            "epochs": [
                f"{int(e or 0)}/{int(t)}" if t and not pd.isna(t) else "—"
                for e, t in zip(frame["epoch"], frame["epochs"])
            ],
            "best val acc": frame["best_val_acc"].map(pct),
            "balanced acc": frame["best_val_balanced_acc"].map(pct),
            "macro f1": frame["best_val_macro_f1"].map(pct),
            "duration": frame["duration_s"].map(duration),
            "created": frame["created"].fillna("").str.replace("T", " "),
        },
        columns=COLUMNS,
    )


def _headed(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with its column names in the page's language."""
    return frame.rename(columns={column: say("runs.col_" + column.replace(" ", "_")) for column in COLUMNS})


def table(
    root: Path, session: str | None = None, jobs: JobManager | None = None
) -> tuple[str, gr.Markdown, gr.Dataframe]:
    """The runs table, or how to make the first run."""
    shown = runs_frame(root, session, jobs)
    return (
        ("" if len(shown) else say("runs.empty")),
        gr.Markdown(visible=bool(len(shown))),
        gr.Dataframe(_headed(shown), visible=bool(len(shown))),
    )


def poll(root: Path, seen: list | None, session: str | None = None, jobs: JobManager | None = None) -> tuple:
    """Redraw the table only if it changed (runs started elsewhere, progress); tell other tabs when runs come or go."""
    shown = runs_frame(root, session, jobs)
    states = shown[["run", "state"]].values.tolist()
    if seen is not None and shown.to_json() == seen[0]:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    changed = seen is not None and states != seen[1]
    visible = bool(len(shown))
    return (
        "" if visible else say("runs.empty"),
        gr.Markdown(visible=visible),
        gr.Dataframe(_headed(shown), visible=visible),
        [shown.to_json(), states],
        time.time() if changed else gr.skip(),
    )


def _details(run: RunDir) -> str:
    status = run.status()
    cfg = run.config()
    report = run.report() or {}
    dataset = status.get("dataset") or {}
    data = (
        say(
            "runs.trained_on",
            name=html.escape(str(dataset.get("name")), quote=False),
            files=dataset.get("files"),
            mb=f"{dataset.get('bytes', 0) / 1e6:.1f}",
            sha=str(dataset.get("sha256"))[:16],
        )
        + (say("runs.of_file", file=dataset["hashed"]) if dataset.get("hashed", "contents") != "contents" else "")
        if dataset
        else ""
    )
    message = html.escape(run_message(status), quote=False)
    lines = [
        f"{badge(shown_state(run, status))} &nbsp;<b>{run.id}</b> · {message}",
        "",
        data,
        "",
        say(
            "runs.settings",
            arch=cfg.get("arch"),
            pretrained=_flag(cfg.get("pretrained")),
            frozen=_flag(cfg.get("freeze")),
            epochs=cfg.get("epochs"),
            unfrozen=say("runs.unfrozen", n=cfg["unfreeze_epochs"]) if cfg.get("unfreeze_epochs") else "",
            size=cfg.get("img_size"),
            batch=cfg.get("batch_size"),
            optimizer=cfg.get("optimizer"),
            lr_head=_rate(cfg.get("lr_head")),
            lr_backbone=_rate(cfg.get("lr_backbone")),
            scheduler=cfg.get("scheduler"),
            augment=html.escape(str(cfg.get("augment")), quote=False),
            seed=cfg.get("seed"),
        ),
    ]
    if report:
        lines.append(
            "\n"
            + say(
                "runs.scores",
                acc=pct(report.get("val_accuracy")),
                epoch=report.get("best_epoch"),
                f1=pct(report.get("macro_f1")),
            )
            + say("runs.balanced_acc", acc=pct(report.get("val_balanced_accuracy")))
            + (say("runs.test_acc", acc=pct(report["test_accuracy"])) if "test_accuracy" in report else "")
            + say(
                "runs.took", classes=len(report.get("classes", [])), duration=duration(run.summary().get("duration_s"))
            )
        )
    return "\n".join(lines)


def _per_class(run: RunDir) -> gr.Dataframe:
    rows = (run.report() or {}).get("per_class") or []
    return gr.Dataframe(pd.DataFrame(rows).round(3), visible=bool(rows))


def _weights_copy(run: RunDir) -> str | None:
    """A copy of the best weights in the temp folder, named after the run (for the download button)."""
    source = run.weights
    if not run.has_weights():
        return None
    target = Path(tempfile.gettempdir()) / "cnnapp-downloads" / f"{run.id}.safetensors"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return str(target)


def select(event: gr.SelectData) -> str | None:
    """The run id of the clicked row."""
    return str(event.row_value[0]) if event.row_value else None


def _resume_button(run: RunDir) -> gr.Button:
    """Resume, shown for runs that ended early; it says whether the run continues or starts again."""
    if run.status().get("state") not in RESUMABLE:
        return gr.Button(visible=False)
    label = say("runs.resume_checkpoint" if run.has_checkpoint() else "runs.train_again")
    return gr.Button(label, visible=True)


def details(root: Path, run_id: str | None, session: str | None = None) -> tuple:
    """The selected run's details, curves, per-class scores, weights and Resume (hidden while none is selected)."""
    try:
        run = sessions.get_run(run_id, root, session) if run_id else None
    except CnnappError:
        run = None
    if run is None:
        hidden = gr.Dataframe(visible=False)
        return (
            gr.Column(visible=False),
            "",
            None,
            None,
            hidden,
            "",
            gr.Button(visible=False),
            gr.DownloadButton(value=None, visible=False),
            gr.Button(visible=False),
            gr.Group(visible=False),
        )
    status = run.reconcile()
    weights = _weights_copy(run)
    state = status.get("state")
    return (
        gr.Column(visible=True),
        _details(run),
        *curves(run.metrics()),
        _per_class(run),
        status.get("name") or run.summary()["name"],
        gr.Button(
            say("runs.cancel_queued" if state == "queued" else "runs.stop"),
            visible=state in ACTIVE and not run.stop_requested(),
        ),
        gr.DownloadButton(value=weights, visible=weights is not None),
        _resume_button(run),
        gr.Group(visible=False),
    )


def stop(jobs: JobManager, run_id: str | None, session: str | None = None) -> float:
    """Cancel the selected queued run, or stop it while it runs."""
    if not run_id:
        raise RunError(msg("run.none_selected"))
    message = engine_text(jobs.stop(run_id, session))
    gr.Info(message[0].upper() + message[1:])
    return time.time()


def rename(root: Path, run_id: str | None, name: str, session: str | None = None) -> float:
    """Give the selected run a new name (blank: its default name)."""
    if not run_id:
        raise RunError(msg("run.none_selected"))
    gr.Info(say("runs.renamed", name=provenance.rename(sessions.get_run(run_id, root, session), name)))
    return time.time()


def resume(jobs: JobManager, run_id: str | None, session: str | None = None) -> tuple[str, float]:
    """Queue the selected run to continue; the Train tab follows it."""
    if not run_id:
        raise RunError(msg("run.none_selected"))
    message = jobs.resume(run_id, session)
    gr.Info(message[0].upper() + message[1:] + say("runs.follow"))
    return run_id, time.time()


def delete(root: Path, run_id: str | None, session: str | None = None) -> tuple:
    """Delete the selected run (not while it is queued or running)."""
    run = sessions.get_run(run_id, root, session)
    state = run.reconcile().get("state")
    if state in ACTIVE:
        raise RunError(say("runs.busy", run=run.id, state=state_name(state)))
    run.delete()
    gr.Info(say("runs.deleted", run=run.id))
    return None, time.time()


def build(ctx: UIContext) -> None:
    """The Runs tab."""
    root = ctx.root
    with gr.Row(equal_height=True):
        hint = gr.Markdown(T("runs.pick"))
        refresh_btn = gr.Button(T("runs.refresh"), size="sm", scale=0, min_width=100)
    empty = gr.HTML()
    runs = gr.Dataframe(  # filled, with its headers in the page's language, once the page knows its session
        interactive=False,
        visible=False,
        label=T("runs.table"),
        max_height=360,
        elem_id="runs-table",
        elem_classes="cnn-table",
    )
    with gr.Column(visible=False) as box:
        info = gr.Markdown(elem_id="run-details")
        loss_plot, acc_plot = curve_plots()
        per_class = gr.Dataframe(label=T("runs.per_class"), interactive=False, max_height=300, elem_classes="cnn-table")
        with gr.Row(equal_height=True):
            name = gr.Textbox(label=T("runs.name"), max_length=80, scale=3, min_width=200, elem_id="run-rename")
            rename_btn = gr.Button(T("runs.rename"), scale=0, min_width=100, elem_id="rename-run")
        with gr.Row():
            stop_btn = gr.Button(T("runs.stop"), variant="stop", visible=False, min_width=150, elem_id="stop-run")
            download = gr.DownloadButton(T("runs.download"), visible=False, min_width=150)
            resume_btn = gr.Button(
                T("runs.resume"), variant="primary", visible=False, min_width=150, elem_id="resume-run"
            )
            remove = gr.Button(T("runs.delete"), variant="stop", min_width=150)
        with gr.Group(visible=False) as confirm_row:
            gr.Markdown(T("runs.confirm"), padding=True)
            with gr.Row():
                confirm = gr.Button(T("runs.yes_delete"), variant="stop", min_width=120)
                cancel = gr.Button(T("runs.keep"), min_width=120)

    session = ctx.session
    listed = {
        "fn": user_errors(partial(table, root, jobs=ctx.jobs)),
        "inputs": session,
        "outputs": [empty, hint, runs],
        "show_progress": "hidden",
        **PRIVATE,
    }
    shown = {
        "fn": user_errors(partial(details, root)),
        "inputs": [ctx.selected_run, session],
        "outputs": [box, info, loss_plot, acc_plot, per_class, name, stop_btn, download, resume_btn, confirm_row],
        "show_progress": "hidden",
        **PRIVATE,
    }
    seen = gr.State(None)
    timer = gr.Timer(POLL_S)
    timer.tick(
        user_errors(partial(poll, root, jobs=ctx.jobs)),
        [seen, session],
        [empty, hint, runs, seen, ctx.runs_changed],
        show_progress="hidden",
        concurrency_limit=None,
        **PRIVATE,
    )
    session.change(**listed)
    ctx.runs_changed.change(**listed)
    ctx.runs_changed.change(**shown)
    refresh_btn.click(**listed)
    runs.select(user_errors(select), None, ctx.selected_run, **PRIVATE)
    ctx.selected_run.change(**shown)
    resume_btn.click(
        user_errors(partial(resume, ctx.jobs)),
        [ctx.selected_run, session],
        [ctx.watched_run, ctx.runs_changed],
        trigger_mode="once",
        **PRIVATE,
    )
    stop_btn.click(user_errors(partial(stop, ctx.jobs)), [ctx.selected_run, session], ctx.runs_changed, **PRIVATE)
    gr.on(
        [rename_btn.click, name.submit],
        user_errors(partial(rename, root)),
        [ctx.selected_run, name, session],
        ctx.runs_changed,
        **PRIVATE,
    )
    remove.click(lambda: gr.update(visible=True), None, confirm_row, **PRIVATE)
    cancel.click(lambda: gr.update(visible=False), None, confirm_row, **PRIVATE)
    confirm.click(
        user_errors(partial(delete, root)), [ctx.selected_run, session], [ctx.selected_run, ctx.runs_changed], **PRIVATE
    )
