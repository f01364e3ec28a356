"""Compare tab: queue the course's grid (transfer learning T/F × fine-tuning T/F) in one click and compare runs."""

from __future__ import annotations

import hashlib
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
import pandas as pd

from cnnapp import sessions
from cnnapp.config import TrainConfig
from cnnapp.errors import DataError
from cnnapp.runs import ACTIVE
from cnnapp.ui.common import PRIVATE, duration, pct, run_dropdown, session_runs, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.worker import JobManager

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TITLE = "Compare"
POLL_S = 2.0
INTRO = """
**Comparar experimentos** (the course's last slide): does starting from ImageNet weights (*transfer learning*)
help, and should the pretrained backbone be trained too (*fine tuning*)? One click queues four runs on the chosen
dataset and architecture, with the same split and options:

| | pretrained | backbone | what it is |
|---|---|---|---|
| **(a)** | no | trained | from scratch (*entrenamiento desde 0*) |
| **(b)** | yes | frozen | feature extraction: only the new head learns |
| **(c)** | yes | trained | full fine-tuning, the backbone at a 10× lower learning rate |
| **(d)** | yes | frozen, then unfrozen | the course's two steps: `fit`, `model.unfreeze()`, `fit(lr=1e-4)` |
"""
EMPTY = (
    '<div class="cnn-empty"><b>Nothing to compare yet.</b> Press <b>Queue the 4 runs</b>, '
    "or pick finished runs in the list.</div>"
)
SHOWN = {
    "setting": "setting",
    "state": "state",
    "arch": "architecture",
    "stages": "stages",
    "lr_head": "lr head",
    "lr_backbone": "lr backbone",
    "optimizer": "optimizer",
    "epochs": "epochs",
    "trainable_params": "trainable params",
    "total_params": "total params",
    "best_val_acc": "best val acc",
    "test_acc": "test acc",
    "train_seconds": "training time",
    "run_id": "run",
}


def run_choices(root: Path, current: list[str] | None, session: str | None = None) -> gr.Dropdown:
    """Every run of the session as a choice (newest first), keeping the current selection where it still exists."""
    choices = session_runs(root, session, label=lambda r: f"{r.run_id} · {r.arch} · {r.state}")
    return run_dropdown(choices, current, multiselect=True)


def queue(
    jobs: JobManager,
    dataset: dict | None,
    arch: str,
    epochs: float,
    unfreeze: float,
    img_size: float,
    lr_head: float | None,
    augment: str,
    session: str | None = None,
) -> tuple[gr.Dropdown, gr.Timer, float]:
    """Validate the four settings and queue them through the job manager for the session."""
    from cnnapp import compare

    if not dataset:
        raise DataError("no dataset chosen: pick one on the 1 · Data tab (the example works)")
    base = TrainConfig(
        data=dataset["path"],
        arch=arch,
        epochs=int(epochs),
        unfreeze_epochs=int(unfreeze),
        img_size=int(img_size),
        augment=augment or "none",
        **({"lr_head": float(lr_head)} if lr_head else {}),
    )
    runs = compare.queue_grid(base, partial(jobs.submit, session=session))
    gr.Info(f"Queued 4 runs of {arch}: they train one after another")
    return run_choices(jobs.root, [r.id for r in runs], session), gr.Timer(active=True), time.time()


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for name in ("best_val_acc", "test_acc"):
        out[name] = out[name].map(pct)
    for name in ("trainable_params", "total_params"):
        out[name] = out[name].map(lambda v: "—" if pd.isna(v) else f"{int(v):,}")
    out["train_seconds"] = out["train_seconds"].map(duration)
    out["lr_backbone"] = out["lr_backbone"].map(lambda v: "—" if pd.isna(v) else f"{float(v):g}")
    return out[list(SHOWN)].rename(columns=SHOWN)


def _csv(table: pd.DataFrame) -> str:
    """The table as a CSV in the temp folder, named after its runs (rewritten in place as they progress)."""
    from cnnapp import compare

    key = hashlib.sha1(",".join(table["run_id"]).encode()).hexdigest()[:10]
    return str(compare.export_csv(table, Path(tempfile.gettempdir()) / "cnnapp-downloads" / f"comparison-{key}.csv"))


def show(
    root: Path, run_ids: list[str] | None, session: str | None = None
) -> tuple[str, pd.DataFrame, Figure | None, gr.DownloadButton, gr.Timer]:
    """Table, overlaid validation curves and CSV of the selected runs; the poll timer runs while any is active."""
    from cnnapp import compare
    from cnnapp.evaluate import line_figure

    runs = [sessions.get_run(r, root, session) for r in run_ids or []]
    if not runs:
        return (
            EMPTY,
            pd.DataFrame(columns=list(SHOWN.values())),
            None,
            gr.DownloadButton(value=None, visible=False),
            gr.Timer(active=False),
        )
    table = compare.comparison_table(runs)
    curves = compare.val_curves(runs).assign(val_acc=lambda f: f["val_acc"] * 100)
    figure = line_figure(curves, "epoch", "val_acc", "run", "validation accuracy (%)", (0, 100))
    active = any(r.reconcile().get("state") in ACTIVE for r in runs)
    return "", _shown(table), figure, gr.DownloadButton(value=_csv(table), visible=True), gr.Timer(active=active)


def poll(root: Path, run_ids: list[str] | None, session: str | None = None) -> tuple:
    """`show` on the timer; when the last run ends, tell the other tabs that runs changed."""
    shown = show(root, run_ids, session)
    return *shown, (gr.skip() if shown[-1].active else time.time())


def build(ctx: UIContext) -> None:
    """The Compare tab."""
    gr.Markdown(INTRO)
    with gr.Row(equal_height=True):
        epochs = gr.Slider(1, 30, value=3, step=1, label="Epochs per run", info="(d): frozen epochs")
        unfreeze = gr.Slider(
            0, 30, value=0, step=1, label="(d): then unfrozen for … epochs", info="0: as many as the frozen ones"
        )
        img_size = gr.Slider(32, 320, value=96, step=4, label="Image size (px)", info="small is fast on a CPU")
        lr_head = gr.Number(value=TrainConfig().lr_head, label="Learning rate (head)", min_width=120)
    go = gr.Button("▶ Queue the 4 runs", variant="primary", elem_id="compare-queue")
    picked = gr.Dropdown(
        multiselect=True,
        label="Runs compared",
        info="the grid just queued, or any runs you pick",
        elem_id="compare-runs",
    )
    empty = gr.HTML(EMPTY)
    table = gr.Dataframe(
        headers=list(SHOWN.values()),
        interactive=False,
        label="Comparison",
        wrap=True,
        elem_id="compare-table",
        elem_classes="cnn-table",
    )
    curves = gr.Plot(label="Validation accuracy per epoch", format="png", elem_id="compare-curves")
    download = gr.DownloadButton("⬇ comparison.csv", visible=False, scale=0, min_width=200, elem_id="compare-csv")
    timer = gr.Timer(POLL_S, active=False)

    session = ctx.session
    choices = {
        "fn": partial(run_choices, ctx.root),
        "inputs": [picked, session],
        "outputs": picked,
        "show_progress": "hidden",
        **PRIVATE,
    }
    shown = {
        "fn": user_errors(partial(show, ctx.root)),
        "inputs": [picked, session],
        "outputs": [empty, table, curves, download, timer],
        "show_progress": "hidden",
        **PRIVATE,
    }
    gr.on([session.change, ctx.runs_changed.change], **choices)
    go.click(
        user_errors(partial(queue, ctx.jobs)),
        [ctx.dataset, ctx.arch, epochs, unfreeze, img_size, lr_head, ctx.augment, session],
        [picked, timer, ctx.runs_changed],
        **PRIVATE,
    )
    picked.change(**shown)
    timer.tick(
        user_errors(partial(poll, ctx.root)),
        [picked, session],
        [empty, table, curves, download, timer, ctx.runs_changed],
        show_progress="hidden",
        **PRIVATE,
    )
