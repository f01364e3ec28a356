"""Compare tab: queue the course's grid (transfer learning T/F × fine-tuning T/F) in one click and compare runs."""

from __future__ import annotations

import hashlib
import html
import re
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
import pandas as pd

from cnnapp.errors import CnnappError, ConfigError, DataError, LimitError
from cnnapp.jobs import sessions
from cnnapp.jobs.worker import JobManager
from cnnapp.messages import msg
from cnnapp.runs import ACTIVE, STATES, time_left
from cnnapp.training.config import BALANCES, LR_MAX, LR_MIN, TrainConfig
from cnnapp.ui.common import (
    LATEST,
    PRIVATE,
    duration,
    engine_text,
    error_text,
    pct,
    plain,
    run_dropdown,
    session_runs,
    user_errors,
)
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say
from cnnapp.ui.widgets import bounded_number, bounded_slider

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TITLE = "Compare"  # the tab's id; its shown title is `compare.title`
POLL_S = 2.0
SHOWN = (  # the columns of `compare.comparison_table` shown, in order; their titles are `compare.col_*`
    "setting",
    "state",
    "stages",
    "lr_head",
    "lr_backbone",
    "trainable_params",
    "balance",
    "best_val_acc",
    "best_val_balanced_acc",
    "best_val_macro_f1",
    "test_acc",
    "train_seconds",
    "run_id",
)
STAGE = re.compile(r"\b(full|frozen|unfrozen)\b")  # the stage names in `compare.comparison_table`'s "stages"


def _columns(*names: str) -> list[str]:
    return [say(f"compare.col_{name}") for name in names]


def _setting(text: str) -> str:
    """An engine setting label (`compare.SETTINGS`, maybe followed by a run id) in the visitor's language."""
    from cnnapp.training import compare

    keys = {label: f"compare.setting_{key}" for key, label in compare.SETTINGS.items()}
    keys["from scratch, frozen"] = "compare.setting_scratch_frozen"  # `compare.setting_of`'s other combination
    for label, key in keys.items():
        if text.startswith(label):
            return say(key) + text[len(label) :]
    return text


def _base(
    dataset: dict | None,
    arch: str,
    epochs: float,
    unfreeze: float,
    img_size: float,
    lr_head: float | None,
    augment: str,
    balance: str | None = None,
) -> TrainConfig:
    if not dataset:
        raise DataError(msg("grid.no_dataset"))
    return TrainConfig(
        data=dataset["path"],
        arch=arch,
        epochs=int(epochs),
        unfreeze_epochs=int(unfreeze),
        img_size=int(img_size),
        augment=augment or "none",
        balance=balance or "none",
        **({"lr_head": float(lr_head)} if lr_head else {}),
    )


def plan(dataset: dict | None, arch: str, *options: float | str | None) -> tuple[str, pd.DataFrame]:
    """What the grid will train (architecture, dataset) and, per setting, whether it will run or why it is skipped."""
    from cnnapp.models.registry import display_name
    from cnnapp.training import compare

    try:
        cells = compare.plan(_base(dataset, arch, *options))
    except CnnappError as exc:
        return f"⚠ {html.escape(error_text(exc), quote=False)}", pd.DataFrame(columns=_columns("setting", "will_run"))
    name = html.escape(dataset["name"], quote=False)
    runnable = sum(cfg is not None for _, cfg, _ in cells)
    arch_name = html.escape(display_name(arch), quote=False)
    text = say("compare.plan", arch=arch_name, dataset=name, runnable=runnable, total=len(cells))
    rows = [
        (_setting(label), say("compare.will_run") if cfg else say("compare.skipped", reason=plain(engine_text(reason))))
        for label, cfg, reason in cells
    ]
    return text, pd.DataFrame(rows, columns=_columns("setting", "will_run"))


def run_choices(root: Path, current: list[str] | None, session: str | None = None) -> gr.Dropdown:
    """Every run of the session as a choice (newest first), keeping the current selection where it still exists."""
    return run_dropdown(session_runs(root, session)[0], current, multiselect=True)


def queue(
    jobs: JobManager, session: str | None, dataset: dict | None, arch: str, *options: float | str | None
) -> tuple[gr.Dropdown, gr.Timer, float]:
    """Queue the settings that can run through the job manager for the session (the others are skipped), as one
    request; refused (a limit of `admission`), the page says why in a warning and leaves the picker as it was (a
    raised error would put a red badge over it)."""
    from cnnapp.training import compare

    cells = compare.plan(_base(dataset, arch, *options))
    runnable = [cfg for _, cfg, _ in cells if cfg is not None]
    if not runnable:
        raise ConfigError(say("compare.none_can_run", reason=engine_text(cells[0][2])))
    name = dataset["name"] if dataset else None
    try:
        runs = jobs.submit_all(runnable, session, kind="grid", dataset_name=name)  # one request, resolved by `plan`
    except LimitError as exc:
        gr.Warning(html.escape(error_text(exc), quote=False))
        return gr.skip(), gr.skip(), gr.skip()
    skipped = len(cells) - len(runs)
    gr.Info(
        say("compare.queued_skipped", n=len(runs), skipped=skipped) if skipped else say("compare.queued", n=len(runs))
    )
    return run_choices(jobs.root, [r.id for r in runs], session), gr.Timer(active=True), time.time()


def progress(runs: list, table: pd.DataFrame) -> str:
    """How far the compared runs are, with the time left once it can be estimated."""
    states = [r.status() for r in runs]
    done = sum(s.get("state") not in ACTIVE for s in states)
    running = [(r, s) for r, s in zip(runs, states) if s.get("state") == "running"]
    fraction = done
    left = 0.0
    for run, status in running:
        event = run.last_event() or {}
        if event.get("epochs") and event.get("t", 0) >= (status.get("launched") or 0):
            fraction += min(1.0, (event["epoch"] - 1 + event["batch"] / max(event["batches"], 1)) / event["epochs"])
            left += time_left(event) or 0.0
    waiting = sum(s.get("state") == "queued" for s in states)
    finished = [t for t in table["train_seconds"].dropna() if t] if done else []
    known = (not waiting or finished) and (not running or left)
    if waiting and finished:
        left += waiting * sum(finished) / len(finished)
    text = say("compare.progress", done=done, total=len(runs)) + (
        say("compare.left", left=duration(left)) if known and done < len(runs) else ""
    )
    pct_done = 100 * fraction / max(len(runs), 1)
    return (
        f'<div class="cnn-progress" role="progressbar" aria-valuenow="{pct_done:.0f}" aria-valuemin="0" '
        f'aria-valuemax="100"><div style="width: {pct_done:.1f}%"></div></div>'
        f'<div class="cnn-progress-text">{text}</div>'
    )


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    out["setting"] = out["setting"].map(_setting)
    out["state"] = out["state"].map(lambda v: say(f"compare.state_{v}") if v in STATES else v)
    stage = partial(STAGE.sub, lambda m: say(f"compare.stage_{m[1]}"))
    out["stages"] = out["stages"].map(lambda v: stage(v) if isinstance(v, str) else "—")  # none yet: a queued run
    for name in ("best_val_acc", "best_val_balanced_acc", "best_val_macro_f1", "test_acc"):
        out[name] = out[name].map(pct)
    for name in ("trainable_params",):
        out[name] = out[name].map(lambda v: "—" if pd.isna(v) else f"{int(v):,}")
    out["train_seconds"] = out["train_seconds"].map(duration)
    out["lr_head"] = out["lr_head"].map(lambda v: "—" if pd.isna(v) else f"{float(v):g}")
    out["lr_backbone"] = out["lr_backbone"].map(lambda v: "—" if pd.isna(v) else f"{float(v):g}")
    return out[list(SHOWN)].set_axis(_columns(*SHOWN), axis=1)


def _csv(table: pd.DataFrame) -> str:
    """The table as a CSV in the temp folder, named after its runs (rewritten in place as they progress)."""
    from cnnapp.training import compare

    key = hashlib.sha1(",".join(table["run_id"]).encode()).hexdigest()[:10]
    return str(compare.export_csv(table, Path(tempfile.gettempdir()) / "cnnapp-downloads" / f"comparison-{key}.csv"))


def show(
    root: Path, run_ids: list[str] | None, session: str | None = None
) -> tuple[str, str, pd.DataFrame, Figure | None, gr.DownloadButton, gr.Timer]:
    """Table, overlaid validation curves and CSV of the selected runs; the poll timer runs while any is active."""
    from cnnapp.training import compare
    from cnnapp.training.evaluate import line_figure

    runs = [sessions.get_run(r, root, session) for r in run_ids or []]
    if not runs:
        return (
            say("compare.empty"),
            "",
            pd.DataFrame(columns=_columns(*SHOWN)),
            None,
            gr.DownloadButton(value=None, visible=False),
            gr.Timer(active=False),
        )
    table = compare.comparison_table(runs)
    epoch = say("compare.epoch")
    curves = compare.val_curves(runs).assign(val_acc=lambda f: f["val_acc"] * 100, run=lambda f: f["run"].map(_setting))
    curves = curves.rename(columns={"epoch": epoch})
    figure = line_figure(curves, epoch, "val_acc", "run", say("compare.val_acc_pct"), (0, 100)) if len(curves) else None
    active = any(r.reconcile().get("state") in ACTIVE for r in runs)
    return (
        "",
        progress(runs, table),
        _shown(table),
        figure,
        gr.DownloadButton(value=_csv(table), visible=True),
        gr.Timer(active=active),
    )


def poll(root: Path, run_ids: list[str] | None, session: str | None = None) -> tuple:
    """`show` on the timer; when the last run ends, tell the other tabs that runs changed."""
    shown = show(root, run_ids, session)
    return *shown, (gr.skip() if shown[-1].active else time.time())


def build(ctx: UIContext) -> None:
    """The Compare tab."""
    gr.Markdown(T("compare.intro"))
    with gr.Row(equal_height=True):
        epochs = bounded_slider(1, 30, value=3, step=1, label_key="compare.epochs", info=T("compare.epochs_info"))
        unfreeze = bounded_slider(0, 30, value=0, step=1, label_key="compare.unfreeze", info=T("compare.unfreeze_info"))
        img_size = bounded_slider(
            32, 320, value=96, step=4, label_key="compare.img_size", info=T("compare.img_size_info")
        )
        lr_head = bounded_number(TrainConfig().lr_head, LR_MIN, LR_MAX, label_key="compare.lr_head", min_width=120)
        balance = gr.Dropdown(
            [(T(f"train.balance_{k}"), k) for k in BALANCES], value="none", label=T("compare.balance"), min_width=120
        )
    plan_text = gr.Markdown(elem_id="compare-plan-text")
    plan_table = gr.Dataframe(
        headers=_columns("setting", "will_run"),
        interactive=False,
        wrap=True,
        label=T("compare.what_will_run"),
        elem_id="compare-plan",
        elem_classes="cnn-table",
    )
    go = gr.Button(T("compare.queue"), variant="primary", elem_id="compare-queue")
    picked = gr.Dropdown(
        multiselect=True,
        label=T("compare.runs"),
        info=T("compare.runs_info"),
        elem_id="compare-runs",
    )
    empty = gr.HTML(T("compare.empty"))
    bar = gr.HTML(elem_id="compare-progress")
    table = gr.Dataframe(
        headers=_columns(*SHOWN),
        interactive=False,
        wrap=True,
        label=T("compare.comparison"),
        elem_id="compare-table",
        elem_classes="cnn-table",
    )
    curves = gr.Plot(label=T("compare.curves"), format="png", elem_id="compare-curves")
    download = gr.DownloadButton(T("compare.csv"), visible=False, scale=0, min_width=200, elem_id="compare-csv")
    timer = gr.Timer(POLL_S, active=False)

    session = ctx.session
    options = [ctx.dataset, ctx.arch, epochs, unfreeze, img_size, lr_head, ctx.augment, balance]
    choices = {
        "fn": user_errors(partial(run_choices, ctx.root)),
        "inputs": [picked, session],
        "outputs": picked,
        "show_progress": "hidden",
        **PRIVATE,
    }
    shown = {
        "fn": user_errors(partial(show, ctx.root)),
        "inputs": [picked, session],
        "outputs": [empty, bar, table, curves, download, timer],
        "show_progress": "hidden",
        **PRIVATE,
    }
    gr.on(
        [ctx.demo.load, ctx.dataset.change, ctx.arch.change, ctx.augment.change]
        + [c.release for c in (epochs, unfreeze, img_size)]
        + [lr_head.input],
        user_errors(plan),
        options,
        [plan_text, plan_table],
        show_progress="hidden",
        trigger_mode=LATEST,
        **PRIVATE,
    )
    gr.on([session.change, ctx.runs_changed.change], **choices, trigger_mode=LATEST)
    go.click(
        user_errors(partial(queue, ctx.jobs)),
        [session, *options],
        [picked, timer, ctx.runs_changed],
        **PRIVATE,
    )
    # on load: the table's headers in the visitor's language
    gr.on([ctx.demo.load, picked.change], **shown, trigger_mode=LATEST)
    timer.tick(
        user_errors(partial(poll, ctx.root)),
        [picked, session],
        [empty, bar, table, curves, download, timer, ctx.runs_changed],
        show_progress="hidden",
        **PRIVATE,
    )
