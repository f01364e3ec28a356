"""The Learn tab's Pooling sub-tab: max, min or average pooling of the course's matrix and of a picture, with the
output size worked out."""

from __future__ import annotations

from functools import partial

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from cnnapp.ui.common import EXAMPLE_DATASET
from cnnapp.ui.i18n import T, say
from cnnapp.ui.learn.names import names
from cnnapp.ui.learn.shared import Section, dataframe, event, table
from cnnapp.ui.widgets import bounded_slider

POOL_METHOD = "max"


def _example_image() -> str | None:
    folder = EXAMPLE_DATASET / "ankle_boot"
    return str(sorted(folder.iterdir())[0]) if folder.is_dir() else None


def pool_matrix(matrix: pd.DataFrame, method: str, kernel: float, stride: float) -> tuple[pd.DataFrame, str]:
    """Pool the table's matrix; the output size worked out."""
    from cnnapp.course import convolution

    a = convolution.as_matrix(matrix)
    out = convolution.pool(a, method, int(kernel), int(stride))
    formula = convolution.formula(a.shape[0], int(kernel), 0, int(stride))
    shown = names("methods").get(method, method)
    text = say("learn.pool_size", method=shown, k=int(kernel), s=int(stride), formula=formula)
    return table(out), f"**{text}**"


def pool_picture(image: np.ndarray | None, method: str, kernel: float, stride: float) -> tuple[Image.Image | None, str]:
    """Pool an image channel by channel (shown enlarged to the input's display size)."""
    from cnnapp.course import convolution

    if image is None:
        return None, ""
    out = convolution.pool_image(image, method, int(kernel), int(stride))
    shown = Image.fromarray(out).resize((image.shape[1], image.shape[0]), Image.Resampling.NEAREST)
    return shown, f"{image.shape[0]}×{image.shape[1]} px → **{out.shape[0]}×{out.shape[1]}** px"


def build() -> Section:
    """The sub-tab's layout (the picture is the example dataset's first ankle boot); drawn after the starting values."""
    gr.Markdown(T("learn.pool_text"))
    with gr.Row():
        c = {
            "method": gr.Radio([POOL_METHOD], value=POOL_METHOD, label=T("learn.method")),
            "kernel": bounded_slider(1, 4, value=2, step=1, label_key="learn.window"),
            "stride": bounded_slider(1, 4, value=2, step=1, label_key="learn.stride"),
        }
    with gr.Row():
        c["matrix"] = dataframe(T("learn.input_matrix"), "learn-pool-input", interactive=True)
        c["pooled"] = dataframe(T("learn.pooled"), "learn-pool-output", interactive=False)
    c["size"] = gr.Markdown()
    with gr.Row():
        c["image"] = gr.Image(
            _example_image(), type="numpy", label=T("learn.image"), height=220, sources=["upload", "clipboard"]
        )
        c["pooled_image"] = gr.Image(type="pil", label=T("learn.pooled_image"), interactive=False, height=220)
    c["pooled_text"] = gr.Markdown()
    settings = [c["method"], c["kernel"], c["stride"]]
    pooled = event(pool_matrix, [c["matrix"], *settings], [c["pooled"], c["size"]])
    pooled_image = event(pool_picture, [c["image"], *settings], [c["pooled_image"], c["pooled_text"]])
    return Section(c, partial(_wire, c, pooled, pooled_image), [pooled, pooled_image])


def _wire(c: dict, pooled: dict, pooled_image: dict) -> None:
    """A change of the matrix, the picture or the settings pools again (the settings pool both)."""
    settings = [c["method"].input, c["kernel"].release, c["stride"].release]
    gr.on([c["matrix"].input, *settings], **pooled)
    gr.on([c["image"].input, *settings], **pooled_image)
