"""The Learn tab's Stacking sub-tab: several kernels over one matrix make a volume, one feature map per filter."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import gradio as gr
import pandas as pd
from PIL import Image

from cnnapp.ui.i18n import T
from cnnapp.ui.learn.names import names
from cnnapp.ui.learn.shared import Section, dataframe, event, texts
from cnnapp.ui.widgets import bounded_slider, image_grid

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def stack(matrix: pd.DataFrame, padding: float, stride: float) -> tuple[Figure, list[tuple[Image.Image, str]], str]:
    """The stacked volume in 3-D, each filter's map, and its shape."""
    from cnnapp.course import convolution

    t, kernels = texts("filter", "side", "filters", "volume_word", "rows", "columns"), names("kernels")
    result = convolution.stack(matrix, padding=int(padding), stride=int(stride))
    n = convolution.as_matrix(matrix).shape[0]
    formula = convolution.formula(n, 3, int(padding), int(stride))
    h, w, _ = result.volume.shape
    slices = [
        (image, f"{t['filter']} {i + 1}: {kernels.get(name, name)} → {h}×{w}")
        for i, ((image, _), name) in enumerate(zip(convolution.volume_slices(result), result.filters))
    ]
    figure = convolution.volume_figure(result)
    figure.axes[0].set(
        xlabel=t["rows"], ylabel=t["columns"], zlabel=t["filters"], title=f"{t['volume_word']} {result.shape_text}"
    )
    return (
        figure,
        slices,
        f"{t['side']} {formula}; {len(result.filters)} {t['filters']} → {t['volume_word']} **{result.shape_text}**",
    )


def build() -> Section:
    """The sub-tab's layout; it is drawn after the page's starting values (the course's matrix) arrive."""
    gr.Markdown(T("learn.stack_text"))
    with gr.Row():
        c = {"input": dataframe(T("learn.stack_input"), "learn-stack-input", interactive=True)}
        with gr.Column():
            c["padding"] = bounded_slider(0, 2, value=0, step=1, label_key="learn.padding")
            c["stride"] = bounded_slider(1, 3, value=1, step=1, label_key="learn.stride")
            c["text"] = gr.Markdown(elem_id="learn-volume-text")
    with gr.Row():
        c["volume"] = gr.Plot(label=T("learn.volume"), format="png")
        c["slices"] = image_grid(T("learn.one_map_per_filter"), 4, "learn-slices")
    stacked = event(stack, [c["input"], c["padding"], c["stride"]], [c["volume"], c["slices"], c["text"]])
    triggers = [c["input"].input, c["padding"].release, c["stride"].release]
    return Section(c, partial(gr.on, triggers, **stacked), [stacked])
