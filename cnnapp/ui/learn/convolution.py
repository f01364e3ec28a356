"""The Learn tab's Convolution sub-tab: a kernel (named or edited) slides over an image, with padding, stride and
ReLU, and the output size is worked out beside the feature map."""

from __future__ import annotations

from functools import partial

import gradio as gr
import numpy as np
import pandas as pd

from cnnapp.ui.i18n import T, say
from cnnapp.ui.learn.shared import Section, event, texts
from cnnapp.ui.widgets import bounded_slider

KERNEL = "vertical edges"  # the kernel shown first


def kernel_table(name: str) -> pd.DataFrame:
    """The numbers of a named kernel, for the editable 3×3 table."""
    from cnnapp.course import convolution

    return pd.DataFrame(convolution.KERNELS[name].round(3))


def _size_text(formula_h: str, formula_w: str) -> str:
    t = texts("output_size", "output_height", "output_width")
    return (
        f"**{t['output_size']}** = {formula_h}"
        if formula_h == formula_w
        else f"**{t['output_height']}** = {formula_h}  \n**{t['output_width']}** = {formula_w}"
    )


def convolve(image: np.ndarray | None, kernel: pd.DataFrame, padding: float, stride: float, relu: bool) -> tuple:
    """The image as the kernel sees it (gray), the feature map, and the output size worked out."""
    from cnnapp.course import convolution

    if image is None:
        return None, None, say("learn.no_image")
    result = convolution.convolve(image, kernel, int(padding), int(stride), relu)
    h, w = result.shape
    return (
        convolution.to_image(convolution.to_gray(image), min_side=224),
        convolution.to_image(result.feature_map, min_side=224),
        _size_text(result.formula_h, result.formula_w) + f" → {say('learn.feature_map_size')} **{h} × {w}**",
    )


def build() -> Section:
    """The sub-tab's layout; it is drawn after the page's starting values (the image and the kernel) arrive."""
    gr.Markdown(T("learn.conv_text"))
    with gr.Row():
        with gr.Column(min_width=280):
            c = {
                "image": gr.Image(
                    type="numpy",
                    label=T("learn.image"),
                    height=260,
                    sources=["upload", "clipboard"],
                    elem_id="learn-conv-image",
                ),
                "kernel_name": gr.Dropdown([KERNEL], value=KERNEL, label=T("learn.kernel"), elem_id="learn-kernel"),
                "kernel": gr.Dataframe(
                    interactive=True,
                    label=T("learn.kernel_numbers"),
                    row_count=3,
                    column_count=3,
                    elem_id="learn-kernel-table",
                    elem_classes="cnn-table",
                ),
            }
            with gr.Row():
                c["padding"] = bounded_slider(0, 3, value=0, step=1, label_key="learn.padding", min_width=120)
                c["stride"] = bounded_slider(1, 4, value=1, step=1, label_key="learn.stride", min_width=120)
            c["relu"] = gr.Checkbox(value=False, label=T("learn.relu"))
        with gr.Column(min_width=280):
            with gr.Row():
                c["seen"] = gr.Image(type="pil", label=T("learn.input_gray"), interactive=False, height=260)
                c["fmap"] = gr.Image(
                    type="pil", label=T("learn.feature_map"), interactive=False, height=260, elem_id="learn-feature-map"
                )
            c["size"] = gr.Markdown(elem_id="learn-conv-size")
    convolved = event(
        convolve, [c["image"], c["kernel"], c["padding"], c["stride"], c["relu"]], [c["seen"], c["fmap"], c["size"]]
    )
    return Section(c, partial(_wire, c, convolved), [convolved])


def _wire(c: dict, convolved: dict) -> None:
    """A named kernel fills the table; any change of the image, the kernel or the settings convolves again."""
    c["kernel_name"].input(**event(kernel_table, [c["kernel_name"]], [c["kernel"]])).then(**convolved)
    triggers = [c["image"].input, c["kernel"].input, c["padding"].release, c["stride"].release, c["relu"].input]
    gr.on(triggers, **convolved)
