"""Predict tab: classify a picture (drop, upload, webcam or paste) with a trained run or an ImageNet model."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr

from cnnapp import api
from cnnapp.runs import WEIGHTS
from cnnapp.ui import live_panel
from cnnapp.ui.common import EXAMPLE_DATASET, LATEST, PRIVATE, run_dropdown, session_runs, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.endpoints import PREDICT
from cnnapp.ui.i18n import T, say

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
    """One picture per class of a few example classes."""
    found = []
    for name in EXAMPLE_CLASSES:
        folder = EXAMPLE_DATASET / name
        if folder.is_dir():
            found.append([str(sorted(folder.iterdir())[-1])])
    return found


def picture_input(label: Any, height: int, elem_id: str) -> gr.Image:
    """A picture to drop, upload, take or paste (as a file path), with the examples under it when they exist."""
    image = gr.Image(
        type="filepath", sources=["upload", "webcam", "clipboard"], label=label, height=height, elem_id=elem_id
    )
    if examples():
        gr.Examples(examples(), inputs=image, label=T("predict.examples"))
    return image


def warn_no_picture(image: str | None) -> None:
    """Tell the visitor who pressed Classify without a picture what to do."""
    if not image:
        gr.Warning(say("predict.no_picture"))


def build(ctx: UIContext) -> None:
    """The Predict tab."""
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            image = picture_input(T("predict.picture"), 320, "predict-image")
        with gr.Column(scale=1, min_width=280):
            model = gr.Dropdown(
                label=T("predict.model"),
                info=T("predict.model_info"),
                allow_custom_value=True,
                elem_id="predict-model",
            )
            top_k = gr.Slider(1, 10, value=3, step=1, label=T("predict.top_k"))
            go = gr.Button(T("predict.classify"), variant="primary")
            label = gr.Label(label=T("predict.prediction"), elem_id="predict-label")
    live_panel.build(ctx, model, top_k)

    refresh = {
        "fn": partial(model_choices, ctx.root),
        "inputs": [model, ctx.selected_run, ctx.session, ctx.dataset],
        "outputs": model,
        "show_progress": "hidden",
        **PRIVATE,
    }
    gr.on([ctx.session.change, ctx.runs_changed.change, ctx.selected_run.change], **refresh, trigger_mode=LATEST)
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
