"""Evaluate tab: how good a trained run is, class by class, and which images it gets most wrong."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
import pandas as pd
from PIL import Image

from cnnapp.data.images import load_rgb
from cnnapp.jobs import sessions
from cnnapp.runs import REPORT, RunDir
from cnnapp.ui.common import LATEST, PRIVATE, pct, run_dropdown, session_runs, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say
from cnnapp.ui.widgets import image_grid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TITLE = "Evaluate"  # the tab's id; its shown title is `evaluate.title`
SPLITS = {"validation": "val", "test": "test"}
COLUMNS = ("class", "precision", "recall", "f1", "support")  # `evaluate.per_class_table`'s, shown as `evaluate.col_*`


def evaluated_runs(root: Path, session: str | None = None) -> list[tuple[str, str]]:
    """(label, run id) of the session's runs with an evaluation report, newest first."""
    return session_runs(root, session, needs=REPORT)[0]


def run_choices(
    root: Path, current: str | None, preferred: str | None, session: str | None = None, dataset: dict | None = None
) -> tuple[gr.Dropdown, str]:
    """The run list (its value chosen as `run_dropdown` says) and the empty state."""
    choices, best = session_runs(root, session, needs=REPORT, dataset=dataset)
    return run_dropdown(choices, current, preferred, best), "" if choices else say("evaluate.no_runs")


def _summary(run_id: str, accuracies: dict[str, float], split: str) -> str:
    parts = [f"**{say('evaluate.val_accuracy', acc=pct(accuracies.get('val')))}**"]
    if "test" in accuracies:
        parts.append(f"**{say('evaluate.test_accuracy', acc=pct(accuracies['test']))}**")
    below = say("evaluate.below", split=say(f"evaluate.split_{split}"))
    return f"{run_id} · " + " · ".join(parts) + f"  \n{below}"


def _split_radio(splits: list[str], value: str) -> gr.Radio:
    return gr.Radio(choices=[(say(f"evaluate.split_{name}"), name) for name in splits], value=value)


def _confusion(run: RunDir, normalize: bool, split: str) -> Figure:
    """The confusion matrix figure, titled and labelled in the visitor's language."""
    from cnnapp.training import evaluate

    cm, classes = evaluate.confusion(run, split)
    title = say("evaluate.rows_title" if normalize else "evaluate.counts_title")
    figure = evaluate.confusion_figure(cm, classes, normalize, title)
    figure.axes[0].set(xlabel=say("evaluate.predicted_class"), ylabel=say("evaluate.true_class"))
    return figure


def _curves(run: RunDir) -> tuple[Figure, Figure]:
    from cnnapp.training import evaluate

    epoch = say("evaluate.epoch")
    long = evaluate.curves(run).rename(columns={"epoch": epoch})
    long["split"] = long["split"].map({"train": say("evaluate.train"), "val": say("evaluate.val")})
    loss = long[long["metric"] == "loss"]
    acc = long[long["metric"] == "accuracy"].assign(value=lambda f: f["value"] * 100)
    return (
        evaluate.line_figure(loss, epoch, "value", "split", say("evaluate.loss")),
        evaluate.line_figure(acc, epoch, "value", "split", say("evaluate.accuracy_pct"), (0, 100)),
    )


def _thumbnail(path: str, side: int = 128) -> Image.Image:
    """The image scaled to about `side` px (small images enlarged without blurring), served as an image, not a path."""
    im = load_rgb(path)
    scale = side / max(im.size)
    resample = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.BILINEAR
    return im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), resample)


def show(root: Path, run_id: str | None, split_name: str | None, session: str | None = None) -> tuple:
    """Everything the tab shows for one run and split (validation or test)."""
    from cnnapp.training import evaluate

    if not run_id:
        return "", _split_radio(["validation"], "validation"), pd.DataFrame(), None, None, None, None, [], ""
    run = sessions.get_run(run_id, root, session)
    accuracies = evaluate.accuracies(run)
    splits = [name for name, key in SPLITS.items() if key in accuracies]
    split_name = split_name if split_name in splits else "validation"
    split = SPLITS[split_name]
    table = evaluate.per_class_table(run, split).round(3)
    table = table.rename(columns={name: say(f"evaluate.col_{name}") for name in COLUMNS})
    counts = _confusion(run, normalize=False, split=split)
    rows = _confusion(run, normalize=True, split=split)
    gallery = [(_thumbnail(path), caption) for path, caption in evaluate.top_losses(run, k=16)]
    return (
        _summary(run.id, accuracies, split_name),
        _split_radio(splits, split_name),
        table,
        counts,
        rows,
        *_curves(run),
        gallery,
        "" if gallery else say("evaluate.no_mistakes"),
    )


def build(ctx: UIContext) -> None:
    """The Evaluate tab."""
    empty = gr.HTML(T("evaluate.no_runs"))
    with gr.Row(equal_height=True):
        run = gr.Dropdown(label=T("evaluate.run"), info=T("evaluate.run_info"), scale=3, elem_id="evaluate-run")
        split = gr.Radio(
            [(T("evaluate.split_validation"), "validation")],
            value="validation",
            label=T("evaluate.images"),
            scale=1,
            elem_id="evaluate-split",
        )
    summary = gr.Markdown(elem_id="evaluate-summary")
    per_class = gr.Dataframe(
        label=T("evaluate.per_class"),
        interactive=False,
        max_height=320,
        elem_classes="cnn-table",
    )
    with gr.Row():
        counts = gr.Plot(label=T("evaluate.counts"), show_label=False, format="png", min_width=420)
        rows = gr.Plot(label=T("evaluate.rows"), show_label=False, format="png", min_width=420)
    with gr.Row():  # the figures carry their own titles and legends: a label box would cover them
        loss = gr.Plot(label=T("evaluate.loss_plot"), show_label=False, format="png", min_width=320)
        acc = gr.Plot(label=T("evaluate.acc_plot"), show_label=False, format="png", min_width=320)
    gr.Markdown(T("evaluate.mistakes_text"))
    mistakes_note = gr.Markdown()
    mistakes = image_grid(T("evaluate.mistakes"), 5, "evaluate-top-losses")

    refresh = {
        "fn": partial(run_choices, ctx.root),
        "inputs": [run, ctx.selected_run, ctx.session, ctx.dataset],
        "outputs": [run, empty],
        "show_progress": "hidden",
        **PRIVATE,
    }
    gr.on([ctx.session.change, ctx.runs_changed.change, ctx.selected_run.change], **refresh, trigger_mode=LATEST)
    outputs = [summary, split, per_class, counts, rows, loss, acc, mistakes, mistakes_note]
    gr.on(
        [run.change, split.input],
        user_errors(partial(show, ctx.root)),
        [run, split, ctx.session],
        outputs,
        trigger_mode=LATEST,
        **PRIVATE,
    )
