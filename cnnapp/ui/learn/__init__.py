"""Learn tab: the course (Tema 8, Redes Convolucionales), hands-on: convolution, pooling, stacking, flatten, softmax,
dropout, architectures, loss functions, optimizers, and mixup and cutmix.

One module per sub-tab builds its layout and hands back a `Section` (its components, the events that draw it, the
wiring of its own inputs); this module composes them and wires the events they share: the page load that fills the
first sub-tabs' starting values and then draws them, and the sub-tabs drawn when opened.

The tab follows the page's language like the others: its text is in `cnnapp.ui.strings.learn` (static text by `T`,
handler text by `say`), the names that come in groups in `names` (Spanish with the course's own terms).
`cnnapp.course` computes with torch and draws with matplotlib, so it is imported by the handlers (the first page is
built without torch).
"""

from __future__ import annotations

import gradio as gr

from cnnapp.ui.common import PRIVATE
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T
from cnnapp.ui.learn import architectures, convolution, layers, losses, mixing, optimizers, pooling, stacking
from cnnapp.ui.learn.names import names as group_names
from cnnapp.ui.learn.shared import table

TITLE = "Learn"  # the tab's id; its shown title is `learn.title`


def starting_values() -> tuple:
    """The shapes picture, the kernels, the first one's numbers, the pooling methods, the course's matrix (twice)."""
    from cnnapp.course import convolution as course

    matrix = table(course.COURSE_MATRIX)
    kernels, methods = group_names("kernels"), group_names("methods")
    return (
        course.shapes_image(),
        gr.Dropdown(choices=[(kernels[k], k) for k in course.KERNELS], value=convolution.KERNEL),
        convolution.kernel_table(convolution.KERNEL),
        gr.Radio(choices=[(methods[m], m) for m in course.POOLING], value=pooling.POOL_METHOD),
        matrix,
        matrix,
    )


def build(ctx: UIContext) -> None:
    """The Learn tab: the sub-tabs in the course's order, then their events.

    The events keep the order the page has always registered them in (the page load, the first four sub-tabs' own
    events, the draws on opening a sub-tab, the last three's own), so the page's list of events is unchanged.
    """
    with gr.Tabs():
        with gr.Tab(T("learn.tab_conv")):
            conv = convolution.build()
        with gr.Tab(T("learn.tab_pool")):
            pool = pooling.build()
        with gr.Tab(T("learn.tab_stack")):
            stack = stacking.build()
        with gr.Tab(T("learn.tab_layers")) as layers_tab:
            flat = layers.build()
        with gr.Tab(T("learn.tab_arch")):
            arch = architectures.build(ctx)
        with gr.Tab(T("learn.tab_loss")) as loss_tab:
            loss = losses.build(ctx)
        with gr.Tab(T("learn.tab_optim")) as optim_tab:
            optim = optimizers.build(ctx)
        with gr.Tab(T("learn.tab_mix")) as mix_tab:
            mixed = mixing.build()

    starts = [conv.parts[k] for k in ("image", "kernel_name", "kernel")]
    starts += [pool.parts["method"], pool.parts["matrix"], stack.parts["input"]]
    started = ctx.demo.load(starting_values, None, starts, **PRIVATE)
    for section in (conv, pool, stack):
        for drawn in section.draw:
            started.then(**drawn)
    for section in (conv, pool, stack, arch):
        section.wire()
    # the sections below are drawn when their tab is opened (from the current inputs), not for every page load;
    # the optimizers' runs table so gets its headers in the visitor's language
    for tab, section in ((layers_tab, flat), (loss_tab, loss), (optim_tab, optim), (mix_tab, mixed)):
        for drawn in section.draw:
            tab.select(**drawn)
    for section in (flat, loss, optim, mixed):
        section.wire()
