"""Learn tab: the course (Tema 8, Redes Convolucionales), hands-on: convolution, pooling, stacking, architectures.

`cnnapp.learn` computes with torch, so it is imported by the handlers; the tab's starting values are
filled when the page loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from cnnapp.ui.common import EXAMPLE_DATASET, PRIVATE, user_errors
from cnnapp.ui.context import UIContext

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TITLE = "Learn"
KERNEL = "vertical edges"  # the kernel shown first
POOL_METHOD = "max"
CONV_TEXT = """
**Convolución**: a small matrix of weights, the **kernel** or **filtro**, slides over the image; at each position the
products of the overlapping numbers are summed into one number of the **feature map** (*mapa de características*).
**Padding** adds rows and columns of zeros around the image so the output can keep its size; **stride** is how far
the kernel jumps at each step. The output side is **(W − K + 2P) / S + 1** (rounded down). **ReLU** then keeps
max(0, x). In a CNN the kernels are not chosen by hand: they start random and are learned like any weight.
Pick a kernel, or type your own numbers in the 3×3 table.
"""
POOL_TEXT = """
**Pooling** (*agrupamiento*, *sub sampling*) summarises each window of the feature map in one number, shrinking it
before the next convolution. **Max-pool** keeps the brightest value (good for light strokes on a dark background, like
MNIST), **min-pool** the darkest, **average-pool** the mean (smoother, may blur sharp details). The matrix below is the
course's example: 2×2 windows, stride 2.
"""
STACK_TEXT = """
**Stacking** (*apilar*): each filter extracts one feature, so a layer applies many filters and stacks their feature
maps into a **volume**: rows × columns × filters. The course's example: a 6×6 input, **8 filters of 3×3**, padding 0,
stride 1 → eight 4×4 maps, a **4 × 4 × 8** volume. The eight filters here are the named kernels of the convolution tab.
"""
ARCH_TEXT = """
**Arquitecturas de CNN** and the ImageNet challenge (ILSVRC): the course's table (layers, top-5 error, place) next to
what cnnapp computes from the actual models (parameters at 1000 classes). Every one of these can be trained on the
**2 · Train** tab.
"""


def _example_image() -> str | None:
    folder = EXAMPLE_DATASET / "ankle_boot"
    return str(sorted(folder.iterdir())[0]) if folder.is_dir() else None


def _table(array: np.ndarray) -> pd.DataFrame:
    """A matrix for display: whole numbers without decimals, others rounded."""
    a = np.asarray(array)
    return pd.DataFrame(a.astype(int) if np.allclose(a, a.round()) else a.round(3))


def _size_text(formula_h: str, formula_w: str) -> str:
    return (
        f"**Output size** = {formula_h}"
        if formula_h == formula_w
        else f"**Output height** = {formula_h}  \n**Output width** = {formula_w}"
    )


def kernel_table(name: str) -> pd.DataFrame:
    """The numbers of a named kernel, for the editable 3×3 table."""
    from cnnapp import learn

    return pd.DataFrame(learn.KERNELS[name].round(3))


def starting_values() -> tuple:
    """The shapes picture, the kernels with the first one's numbers, the pooling methods and the course's matrix (twice)."""
    from cnnapp import learn

    course = _table(learn.COURSE_MATRIX)
    return (
        learn.shapes_image(),
        gr.Dropdown(choices=list(learn.KERNELS), value=KERNEL),
        kernel_table(KERNEL),
        gr.Radio(choices=list(learn.POOLING), value=POOL_METHOD),
        course,
        course,
    )


def convolve(image: np.ndarray | None, kernel: pd.DataFrame, padding: float, stride: float, relu: bool) -> tuple:
    """The image as the kernel sees it (gray), the feature map, and the output size worked out."""
    from cnnapp import learn

    if image is None:
        return None, None, "Add an image to convolve."
    result = learn.convolve(image, kernel, int(padding), int(stride), relu)
    h, w = result.shape
    return (
        learn.to_image(learn.to_gray(image), min_side=224),
        learn.to_image(result.feature_map, min_side=224),
        _size_text(result.formula_h, result.formula_w) + f" → feature map **{h} × {w}**",
    )


def pool_matrix(matrix: pd.DataFrame, method: str, kernel: float, stride: float) -> tuple[pd.DataFrame, str]:
    """Pool the table's matrix; the output size worked out."""
    from cnnapp import learn

    a = learn.as_matrix(matrix)
    out = learn.pool(a, method, int(kernel), int(stride))
    formula = learn.formula(a.shape[0], int(kernel), 0, int(stride))
    return _table(out), f"**{method}-pool**, {int(kernel)}×{int(kernel)} windows, stride {int(stride)}: side {formula}"


def pool_picture(image: np.ndarray | None, method: str, kernel: float, stride: float) -> tuple[Image.Image | None, str]:
    """Pool an image channel by channel (shown enlarged to the input's display size)."""
    from cnnapp import learn

    if image is None:
        return None, ""
    out = learn.pool_image(image, method, int(kernel), int(stride))
    shown = Image.fromarray(out).resize((image.shape[1], image.shape[0]), Image.Resampling.NEAREST)
    return shown, f"{image.shape[0]}×{image.shape[1]} px → **{out.shape[0]}×{out.shape[1]}** px"


def stack(matrix: pd.DataFrame, padding: float, stride: float) -> tuple[Figure, list[tuple[Image.Image, str]], str]:
    """The stacked volume in 3-D, each filter's map, and its shape."""
    from cnnapp import learn

    result = learn.stack(matrix, padding=int(padding), stride=int(stride))
    n = learn.as_matrix(matrix).shape[0]
    formula = learn.formula(n, 3, int(padding), int(stride))
    return (
        learn.volume_figure(result),
        learn.volume_slices(result),
        f"side {formula}; {len(result.filters)} filters → volume **{result.shape_text}**",
    )


def architectures() -> pd.DataFrame:
    """The architectures table with readable parameter counts."""
    from cnnapp import learn

    table = learn.architectures_table()
    table["params (computed)"] = table["params (computed)"].map("{:,}".format)
    return table.astype(object).where(table.notna(), "")


def build(ctx: UIContext) -> None:
    """The Learn tab."""
    example = _example_image()
    with gr.Tabs():
        with gr.Tab("Convolution"):
            gr.Markdown(CONV_TEXT)
            with gr.Row():
                with gr.Column(min_width=280):
                    conv_image = gr.Image(
                        type="numpy",
                        label="Image",
                        height=260,
                        sources=["upload", "clipboard"],
                        elem_id="learn-conv-image",
                    )
                    kernel_name = gr.Dropdown([KERNEL], value=KERNEL, label="Kernel (filtro)", elem_id="learn-kernel")
                    kernel = gr.Dataframe(
                        interactive=True,
                        label="Kernel numbers (edit for your own)",
                        row_count=3,
                        column_count=3,
                        elem_id="learn-kernel-table",
                        elem_classes="cnn-table",
                    )
                    with gr.Row():
                        padding = gr.Slider(0, 3, value=0, step=1, label="Padding (P)", min_width=120)
                        stride = gr.Slider(1, 4, value=1, step=1, label="Stride (S)", min_width=120)
                    relu = gr.Checkbox(value=False, label="ReLU: max(0, x)")
                with gr.Column(min_width=280):
                    with gr.Row():
                        seen = gr.Image(type="pil", label="Input (gray)", interactive=False, height=260)
                        fmap = gr.Image(
                            type="pil", label="Feature map", interactive=False, height=260, elem_id="learn-feature-map"
                        )
                    conv_size = gr.Markdown(elem_id="learn-conv-size")
        with gr.Tab("Pooling"):
            gr.Markdown(POOL_TEXT)
            with gr.Row():
                method = gr.Radio([POOL_METHOD], value=POOL_METHOD, label="Method")
                pool_kernel = gr.Slider(1, 4, value=2, step=1, label="Window (kernel)")
                pool_stride = gr.Slider(1, 4, value=2, step=1, label="Stride")
            with gr.Row():
                matrix = gr.Dataframe(
                    interactive=True,
                    label="Input matrix (editable)",
                    elem_id="learn-pool-input",
                    elem_classes="cnn-table",
                )
                pooled = gr.Dataframe(
                    interactive=False, label="Pooled", elem_id="learn-pool-output", elem_classes="cnn-table"
                )
            pool_size = gr.Markdown()
            with gr.Row():
                pool_image = gr.Image(example, type="numpy", label="Image", height=220, sources=["upload", "clipboard"])
                pooled_image = gr.Image(type="pil", label="Pooled image", interactive=False, height=220)
            pooled_text = gr.Markdown()
        with gr.Tab("Stacking"):
            gr.Markdown(STACK_TEXT)
            with gr.Row():
                stack_input = gr.Dataframe(
                    interactive=True,
                    label="Input (6×6, editable)",
                    elem_id="learn-stack-input",
                    elem_classes="cnn-table",
                )
                with gr.Column():
                    stack_padding = gr.Slider(0, 2, value=0, step=1, label="Padding")
                    stack_stride = gr.Slider(1, 3, value=1, step=1, label="Stride")
                    volume_text = gr.Markdown(elem_id="learn-volume-text")
            with gr.Row():
                volume = gr.Plot(label="Volume", format="png")
                slices = gr.Gallery(
                    label="One feature map per filter",
                    columns=4,
                    height="auto",
                    object_fit="contain",
                    elem_id="learn-slices",
                    elem_classes="cnn-gallery",
                )
        with gr.Tab("Architectures"):
            gr.Markdown(ARCH_TEXT)
            arch_table = gr.Dataframe(
                interactive=False,
                wrap=True,
                label="Architectures",
                max_height=900,
                elem_id="learn-architectures",
                elem_classes="cnn-table",
                column_widths=["11%", "8%", "5%", "6%", "9%", "7%", "6%", "6%", "8%", "34%"],
            )

    conv = {
        "fn": user_errors(convolve),
        "inputs": [conv_image, kernel, padding, stride, relu],
        "outputs": [seen, fmap, conv_size],
        **PRIVATE,
    }
    pool = {
        "fn": user_errors(pool_matrix),
        "inputs": [matrix, method, pool_kernel, pool_stride],
        "outputs": [pooled, pool_size],
        **PRIVATE,
    }
    pool_img = {
        "fn": user_errors(pool_picture),
        "inputs": [pool_image, method, pool_kernel, pool_stride],
        "outputs": [pooled_image, pooled_text],
        **PRIVATE,
    }
    stacked = {
        "fn": user_errors(stack),
        "inputs": [stack_input, stack_padding, stack_stride],
        "outputs": [volume, slices, volume_text],
        **PRIVATE,
    }
    started = ctx.demo.load(
        starting_values, None, [conv_image, kernel_name, kernel, method, matrix, stack_input], **PRIVATE
    )
    for computed in (conv, pool, pool_img, stacked):
        started.then(**computed)
    kernel_name.input(kernel_table, kernel_name, kernel, **PRIVATE).then(**conv)
    gr.on([conv_image.input, kernel.input, padding.release, stride.release, relu.input], **conv)
    gr.on([matrix.input, method.input, pool_kernel.release, pool_stride.release], **pool)
    gr.on([pool_image.input, method.input, pool_kernel.release, pool_stride.release], **pool_img)
    gr.on([stack_input.input, stack_padding.release, stack_stride.release], **stacked)
    ctx.demo.load(architectures, None, arch_table, **PRIVATE)
