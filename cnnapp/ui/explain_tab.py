"""Explain tab: Grad-CAM (where the model finds the evidence) and feature maps (what its layers see)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr
from PIL import Image

from cnnapp.jobs.sessions import load_predictor
from cnnapp.ui.common import LATEST, PRIVATE, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say
from cnnapp.ui.predict_tab import model_choices, picture_input, suited_examples
from cnnapp.ui.widgets import image_grid

TITLE = "Explain"  # the tab's id; its shown title is `explain.title`
PREDICTED = "(the predicted class)"  # the class choice meaning "whatever the model predicts", shown `explain.predicted`
JET = "#00007f, #0000ff, #007fff, #00ffff, #7fff7f, #ffff00, #ff7f00, #ff0000, #7f0000"  # `explain.overlay`'s colours


def colour_bar() -> str:
    """The low → high colour scale of the Grad-CAM overlay, in the visitor's language (HTML)."""
    return (
        f'<div class="cnn-colourbar"><span>{say("explain.low")}</span>'
        f'<div style="background: linear-gradient(to right, {JET})"></div><span>{say("explain.high")}</span></div>'
    )


def _class_choices(classes: list[str]) -> gr.Dropdown:
    return gr.Dropdown(choices=[(say("explain.predicted"), PREDICTED), *classes], value=PREDICTED)


def on_model(root: Path, model: str | None, session: str | None = None) -> tuple[gr.Dropdown, gr.Dropdown]:
    """The chosen model's classes and its layers worth showing, early to late (all selected)."""
    from cnnapp.serving import explain

    if not model:
        return _class_choices([]), gr.Dropdown(choices=[], value=[], multiselect=True)
    predictor = load_predictor(model, root, session)
    layers = explain.feature_layers(explain.model_layers(predictor))
    return (
        _class_choices(list(predictor.classes)),
        gr.Dropdown(
            choices=[(layer.label, layer.name) for layer in layers],
            value=[layer.name for layer in layers],
            multiselect=True,
        ),
    )


def gradcam(
    root: Path, image: str | None, model: str | None, class_name: str | None, session: str | None = None
) -> tuple[Image.Image | None, str]:
    """The picture and its Grad-CAM overlay side by side, with what was explained."""
    from cnnapp.serving import explain

    if not image or not model:
        return None, say("explain.no_image")
    predictor = load_predictor(model, root, session)
    chosen = class_name if class_name in predictor.classes else None  # a class of the previous model means "predicted"
    result = explain.explain(predictor, image, chosen)
    caption = say(
        "explain.caption", label=result.label, prob=f"{result.prob:.1%}", layer=result.layer, size=predictor.img_size
    )
    return result.side_by_side(), caption


def feature_maps(
    root: Path, image: str | None, model: str | None, layers: list[str] | None, session: str | None = None
) -> list[tuple[Image.Image, str]]:
    """A grid of the strongest activation maps of each chosen layer, early to late."""
    from cnnapp.serving import explain

    if not image or not model or not layers:
        return []
    return explain.feature_maps(load_predictor(model, root, session), image, list(layers))


def build(ctx: UIContext) -> None:
    """The Explain tab."""
    gr.Markdown(T("explain.intro"))
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            image, pictures = picture_input(T("explain.picture"), 300, "explain-image")
        with gr.Column(scale=2, min_width=300):
            with gr.Row(equal_height=True):
                model = gr.Dropdown(
                    label=T("explain.model"),
                    info=T("explain.model_info"),
                    allow_custom_value=True,
                    elem_id="explain-model",
                )
                class_name = gr.Dropdown(
                    [(T("explain.predicted"), PREDICTED)],
                    value=PREDICTED,
                    label=T("explain.class"),
                    elem_id="explain-class",
                )
            heatmap = gr.Image(
                type="pil", label=T("explain.heatmap"), interactive=False, height=300, elem_id="explain-heatmap"
            )
            bar = gr.HTML()
            caption = gr.Markdown(T("explain.no_image"))
    gr.Markdown(T("explain.maps_title"))
    layers = gr.Dropdown(
        multiselect=True,
        label=T("explain.layers"),
        info=T("explain.layers_info"),
        elem_id="explain-layers",
    )
    maps = image_grid(T("explain.maps"), 3, "explain-maps")

    root, session = ctx.root, ctx.session
    ctx.demo.load(colour_bar, None, bar, show_progress="hidden", **PRIVATE)
    refresh = {
        "fn": partial(model_choices, root),
        "inputs": [model, ctx.selected_run, session, ctx.dataset],
        "outputs": model,
        "show_progress": "hidden",
        **PRIVATE,
    }
    gr.on([session.change, ctx.runs_changed.change, ctx.selected_run.change], **refresh, trigger_mode=LATEST)
    model.change(user_errors(partial(on_model, root)), [model, session], [class_name, layers], **PRIVATE)
    model.change(partial(suited_examples, root), [model, session], pictures, show_progress="hidden", **PRIVATE)
    gr.on(
        [image.change, model.change, class_name.input],
        user_errors(partial(gradcam, root)),
        [image, model, class_name, session],
        [heatmap, caption],
        trigger_mode=LATEST,
        **PRIVATE,
    )
    gr.on(
        [image.change, layers.change],
        user_errors(partial(feature_maps, root)),
        [image, model, layers, session],
        maps,
        trigger_mode=LATEST,
        **PRIVATE,
    )
