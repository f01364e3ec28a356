"""Explain tab: Grad-CAM (where the model finds the evidence) and feature maps (what its layers see)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr
from PIL import Image

from cnnapp.sessions import load_predictor
from cnnapp.ui.common import LATEST, PRIVATE, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.predict_tab import model_choices, picture_input
from cnnapp.ui.widgets import image_grid

COLOUR_BAR = (  # the "jet" colours of `explain.overlay`, low to high
    '<div class="cnn-colourbar"><span>low</span><div style="background: linear-gradient(to right, #00007f, #0000ff, '
    '#007fff, #00ffff, #7fff7f, #ffff00, #ff7f00, #ff0000, #7f0000)"></div>'
    "<span>high: where the model looked</span></div>"
)
TITLE = "Explain"
PREDICTED = "(the predicted class)"
INTRO = """
**Grad-CAM** colours the parts of a picture that pushed the model towards a class (red: strong evidence), using the
gradients of that class's score at the last convolutional layer. **Feature maps** are what the layers output:
early layers respond to lines and edges, middle ones to shapes, late ones to object parts, as in the visual cortex
V1 → V2 → V4 → IT.
"""
NO_IMAGE = "Add a picture (or click an example) to see where the model looks."


def on_model(root: Path, model: str | None, session: str | None = None) -> tuple[gr.Dropdown, gr.Dropdown]:
    """The chosen model's classes and its layers worth showing, early to late (all selected)."""
    from cnnapp import explain

    if not model:
        return gr.Dropdown(choices=[PREDICTED], value=PREDICTED), gr.Dropdown(choices=[], value=[], multiselect=True)
    predictor = load_predictor(model, root, session)
    layers = explain.feature_layers(explain.model_layers(predictor))
    return (
        gr.Dropdown(choices=[PREDICTED, *predictor.classes], value=PREDICTED),
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
    from cnnapp import explain

    if not image or not model:
        return None, NO_IMAGE
    predictor = load_predictor(model, root, session)
    chosen = class_name if class_name in predictor.classes else None  # a class of the previous model means "predicted"
    result = explain.explain(predictor, image, chosen)
    return result.side_by_side(), (
        f"Grad-CAM of **{result.label}** (probability {result.prob:.1%}) at layer `{result.layer}`, "
        f"on the picture as the model sees it ({predictor.img_size}×{predictor.img_size} px)."
    )


def feature_maps(
    root: Path, image: str | None, model: str | None, layers: list[str] | None, session: str | None = None
) -> list[tuple[Image.Image, str]]:
    """A grid of the strongest activation maps of each chosen layer, early to late."""
    from cnnapp import explain

    if not image or not model or not layers:
        return []
    return explain.feature_maps(load_predictor(model, root, session), image, list(layers))


def build(ctx: UIContext) -> None:
    """The Explain tab."""
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            image = picture_input("Picture", 300, "explain-image")
        with gr.Column(scale=2, min_width=300):
            with gr.Row(equal_height=True):
                model = gr.Dropdown(
                    label="Model",
                    info="a run you trained, or a pretrained ImageNet classifier",
                    allow_custom_value=True,
                    elem_id="explain-model",
                )
                class_name = gr.Dropdown(
                    [PREDICTED], value=PREDICTED, label="Explain the class", elem_id="explain-class"
                )
            heatmap = gr.Image(
                type="pil", label="Picture · Grad-CAM", interactive=False, height=300, elem_id="explain-heatmap"
            )
            gr.HTML(COLOUR_BAR)
            caption = gr.Markdown(NO_IMAGE)
    gr.Markdown("### Feature maps, early → late layers")
    layers = gr.Dropdown(
        multiselect=True,
        label="Layers",
        info="the stem and the last block at each resolution",
        elem_id="explain-layers",
    )
    maps = image_grid("Strongest activation maps of each layer", 3, "explain-maps")

    root, session = ctx.root, ctx.session
    refresh = {
        "fn": partial(model_choices, root),
        "inputs": [model, ctx.selected_run, session, ctx.dataset],
        "outputs": model,
        "show_progress": "hidden",
        **PRIVATE,
    }
    gr.on([session.change, ctx.runs_changed.change, ctx.selected_run.change], **refresh, trigger_mode=LATEST)
    model.change(user_errors(partial(on_model, root)), [model, session], [class_name, layers], **PRIVATE)
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
