"""Predict tab: classify a picture (drop, upload, webcam or paste) with a trained run or an ImageNet model, or every
picture of a .zip at once."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from cnnapp import api
from cnnapp.errors import CnnappError, DataError
from cnnapp.jobs import sessions
from cnnapp.runs import WEIGHTS
from cnnapp.ui import live_panel
from cnnapp.ui.common import (
    EXAMPLE_DATASET,
    LATEST,
    PRIVATE,
    engine_text,
    run_dropdown,
    session_runs,
    user_errors,
)
from cnnapp.ui.context import UIContext
from cnnapp.ui.dataset_state import is_example
from cnnapp.ui.endpoints import PREDICT, PREDICT_BATCH
from cnnapp.ui.i18n import T, say
from cnnapp.ui.uploads import discard
from cnnapp.ui.widgets import bounded_slider

TITLE = "3 · Predict"  # the tab's id; its shown title is `predict.title`
EXAMPLE_CLASSES = ("ankle_boot", "bag", "dress", "sandal", "trouser")


def model_choices(
    root: Path, current: str | None, preferred: str | None, session: str | None = None, dataset: dict | None = None
) -> gr.Dropdown:
    """The session's runs with weights (newest first), then the ImageNet classifiers available offline.

    The value is chosen as `run_dropdown` says.
    """
    from cnnapp.models.registry import get_spec, names
    from cnnapp.serving.inference import IMAGENET_PREFIX  # imports torch: not on the first page

    choices, best = session_runs(root, session, needs=WEIGHTS, dataset=dataset)
    choices += [
        (say("predict.imagenet_choice", name=name), IMAGENET_PREFIX + name)
        for name in names()
        if get_spec(name).pretrained_offline
    ]
    return run_dropdown(choices, current, preferred, best)


def classify(
    root: Path, image: str | None, model: str | None, top_k: float, session: str | None = None
) -> dict[str, float] | None:
    """Top-k probabilities for the picture (nothing while no picture is given)."""
    if not image:
        return None
    return api.predict(image, model, top_k, root, session)


def examples() -> list[list[str]]:
    """One picture per class of a few classes of the bundled example (Fashion-MNIST)."""
    found = []
    for name in EXAMPLE_CLASSES:
        folder = EXAMPLE_DATASET / name
        if folder.is_dir():
            found.append([str(sorted(folder.iterdir())[-1])])
    return found


def trained_on_example(root: Path, model: str | None, session: str | None = None) -> bool:
    """Whether `model` is one of the session's runs trained on the bundled example (not an ImageNet classifier)."""
    try:
        run = sessions.get_run(model, root, session)
    except CnnappError:  # an ImageNet classifier, no model, or a run this visitor cannot use
        return False
    data = run.config().get("data")
    return bool(data) and is_example(data)


def suited_examples(root: Path, model: str | None, session: str | None = None) -> gr.Dataset:
    """The example pictures, shown only for a model that knows their classes (a sandal means nothing to ImageNet)."""
    return gr.Dataset(visible=trained_on_example(root, model, session))


def pick_example(index: Any) -> str | None:
    """The example picture clicked (its index in `examples()`); None for anything else."""
    pictures = examples()
    return pictures[index][0] if isinstance(index, int) and 0 <= index < len(pictures) else None


def picture_input(label: Any, height: int, elem_id: str) -> tuple[gr.Image, gr.Dataset]:
    """A picture to drop, upload, take or paste (as a file path), and the examples under it, hidden until
    `suited_examples` shows them for the chosen model."""
    image = gr.Image(
        type="filepath", sources=["upload", "webcam", "clipboard"], label=label, height=height, elem_id=elem_id
    )
    shown = gr.Dataset(
        components=[image],
        samples=examples(),
        type="index",
        label=T("predict.examples"),
        visible=False,
        elem_id=f"{elem_id}-examples",
    )
    shown.click(pick_example, shown, image, show_progress="hidden", **PRIVATE)
    return image, shown


def warn_no_picture(image: str | None) -> None:
    """Tell the visitor who pressed Classify without a picture what to do."""
    if not image:
        gr.Warning(say("predict.no_picture"))


def classify_archive(
    root: Path,
    archive: str | None,
    model: str | None,
    top_k: float,
    min_confidence: float,
    session: str | None = None,
    progress: gr.Progress = gr.Progress(),  # gradio fills a default of this type
) -> tuple[str, pd.DataFrame, gr.DownloadButton, gr.DownloadButton, pd.DataFrame]:
    """Every picture of the uploaded .zip classified (`api.predict_batch`, the API's): a summary, the results table,
    the CSV and the pictures sorted into a folder per class to download, and the files skipped with why."""
    if not archive:
        raise DataError(say("predict.folder_none"))
    try:
        csv_path, sorted_zip, result = api.predict_batch(
            archive,
            model,
            top_k,
            root,
            session,
            sort=True,
            min_confidence=min_confidence,
            progress=lambda done, total: progress((done, total)),
        )
    finally:
        discard(archive)
    folders = ", ".join(f"{name} {n}" for name, n in sorted(result.sorted.items()))
    skipped = pd.DataFrame(
        {
            say("predict.col_path"): [entry["path"] for entry in result.skipped],
            say("predict.col_reason"): [engine_text(e.get("reason_code"), e["reason"]) for e in result.skipped],
        }
    )
    return (
        say("predict.folder_done", images=result.images, skipped=len(result.skipped), folders=folders),
        results_table(csv_path),
        gr.DownloadButton(value=str(csv_path), visible=True),
        gr.DownloadButton(value=str(sorted_zip), visible=True),
        skipped,
    )


def results_table(csv_path: Path) -> pd.DataFrame:
    """The CSV as the page shows it: picture, prediction, confidence and the next best labels in one column."""
    rows = pd.read_csv(csv_path, keep_default_na=False)
    ranks = range(2, sum(c.endswith("_label") for c in rows.columns) + 1)
    others = rows.apply(lambda r: " · ".join(f"{r[f'top{i}_label']} {r[f'top{i}_conf']:.2f}" for i in ranks), axis=1)
    return pd.DataFrame(
        {
            say("predict.col_path"): rows["path"],
            say("predict.col_label"): rows["label"],
            say("predict.col_confidence"): rows["confidence"].round(3),
            say("predict.col_others"): others,
        }
    )


def folder_panel(ctx: UIContext, model: gr.Dropdown, top_k: gr.Slider) -> None:
    """The "Classify a folder or zip" accordion, with the model and top-k chosen above."""
    with gr.Accordion(T("predict.folder_title"), open=False, elem_id="predict-folder"):
        gr.Markdown(T("predict.folder_intro"))
        with gr.Row():
            # no file-type filter, as the Data tab's: the archive is judged by its content
            archive = gr.File(label=T("predict.folder_zip"), height=120, elem_id="predict-folder-zip")
            with gr.Column():
                sure = bounded_slider(0, 1, value=0.5, step=0.05, label_key="predict.folder_min_confidence")
                go = gr.Button(T("predict.folder_go"), variant="primary", elem_id="predict-folder-go")
        summary = gr.Markdown()
        with gr.Row():
            csv_file = gr.DownloadButton(T("predict.folder_csv"), visible=False, elem_id="predict-folder-csv")
            sorted_zip = gr.DownloadButton(T("predict.folder_sorted"), visible=False, elem_id="predict-folder-sorted")
        table = gr.Dataframe(label=T("predict.folder_results"), interactive=False, elem_id="predict-folder-table")
        skipped = gr.Dataframe(label=T("predict.folder_skipped"), interactive=False, elem_id="predict-folder-skipped")
    go.click(
        user_errors(partial(classify_archive, ctx.root)),
        [archive, model, top_k, sure, ctx.session],
        [summary, table, csv_file, sorted_zip, skipped],
        **PRIVATE,
        **PREDICT_BATCH,
    )


def build(ctx: UIContext) -> None:
    """The Predict tab."""
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            image, pictures = picture_input(T("predict.picture"), 320, "predict-image")
        with gr.Column(scale=1, min_width=280):
            model = gr.Dropdown(
                label=T("predict.model"),
                info=T("predict.model_info"),
                allow_custom_value=True,
                elem_id="predict-model",
            )
            top_k = bounded_slider(1, 10, value=3, step=1, label_key="predict.top_k")
            go = gr.Button(T("predict.classify"), variant="primary")
            label = gr.Label(label=T("predict.prediction"), elem_id="predict-label")
    live_panel.build(ctx, model, top_k)
    folder_panel(ctx, model, top_k)

    refresh = {
        "fn": partial(model_choices, ctx.root),
        "inputs": [model, ctx.selected_run, ctx.session, ctx.dataset],
        "outputs": model,
        "show_progress": "hidden",
        **PRIVATE,
    }
    gr.on([ctx.session.change, ctx.runs_changed.change, ctx.selected_run.change], **refresh, trigger_mode=LATEST)
    model.change(partial(suited_examples, ctx.root), [model, ctx.session], pictures, show_progress="hidden", **PRIVATE)
    go.click(warn_no_picture, image, None, **PRIVATE)
    gr.on(
        [image.change, model.change, top_k.release, go.click],
        user_errors(partial(classify, ctx.root)),
        [image, model, top_k, ctx.session],
        label,
        trigger_mode=LATEST,
        **PRIVATE,
        **PREDICT,
    )
