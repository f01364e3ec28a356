"""The Learn tab's Mixup and cutmix sub-tab: two pictures of the example dataset, each mix of them and its mixed
label, as the training options `mixup` and `cutmix` mix a training batch (`cnnapp.course.mixing`)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import gradio as gr

from cnnapp.errors import DataError
from cnnapp.ui.common import EXAMPLE_DATASET
from cnnapp.ui.i18n import T, say
from cnnapp.ui.learn.shared import Section, event
from cnnapp.ui.widgets import bounded_number, bounded_slider

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PAIR = ("tshirt_top", "sneaker")  # the classes mixed first


def class_names() -> list[tuple[str, str]]:
    """(shown name, folder) of the example dataset's classes."""
    if not EXAMPLE_DATASET.is_dir():
        return []
    return [(p.name.replace("_", " "), p.name) for p in sorted(EXAMPLE_DATASET.iterdir()) if p.is_dir()]


def mix_view(class_a: str, class_b: str, alpha: float, seed: float) -> tuple[Figure, str]:
    """The two pictures, their mixup and their cutmix, and the mixed labels in words."""
    from cnnapp.course import mixing

    if not EXAMPLE_DATASET.is_dir():
        raise DataError(say("learn.no_example"))
    a, b = mixing.example_pair(EXAMPLE_DATASET, class_a, class_b, int(seed or 0))
    mixes = [mixing.mix(a, b, kind, float(alpha), int(seed or 0)) for kind in mixing.MIXES]
    names = (class_a.replace("_", " "), class_b.replace("_", " "))
    titles = {kind: say(f"learn.mix_{kind}") for kind in mixing.MIXES}
    lines = [say("learn.mix_label", mix=titles[m.kind], label=m.label(*names), lam=m.lam) for m in mixes]
    return mixing.mix_figure(a, b, mixes, names, titles), "\n".join(f"- {line}" for line in lines)


def build() -> Section:
    """The sub-tab's layout; drawn when the sub-tab is opened."""
    gr.Markdown(T("learn.mix_text"))
    choices = class_names()
    with gr.Row():
        c = {
            "a": gr.Dropdown(choices, value=PAIR[0], label=T("learn.mix_a"), elem_id="learn-mix-a"),
            "b": gr.Dropdown(choices, value=PAIR[1], label=T("learn.mix_b"), elem_id="learn-mix-b"),
            "alpha": bounded_slider(
                0.1, 2, value=1.0, step=0.1, label_key="learn.mix_alpha", info=T("learn.mix_alpha_info")
            ),
            "seed": bounded_number(0, 0, 2**31 - 1, precision=0, label_key="learn.mix_seed", elem_id="learn-mix-seed"),
        }
    c["plot"] = gr.Plot(format="png", show_label=False, elem_id="learn-mix-plot")
    c["labels"] = gr.Markdown(elem_id="learn-mix-labels")
    drawn = event(mix_view, [c["a"], c["b"], c["alpha"], c["seed"]], [c["plot"], c["labels"]])
    return Section(c, partial(_wire, c, drawn), [drawn])


def _wire(c: dict, drawn: dict) -> None:
    """The mixes follow the classes, α and the seed."""
    gr.on([c["a"].change, c["b"].change, c["alpha"].release, c["seed"].change], **drawn)
