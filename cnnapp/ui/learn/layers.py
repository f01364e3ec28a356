"""The Learn tab's Flatten, softmax and dropout sub-tab: a volume flattened to a vector, logits turned into
probabilities (with a temperature), and dropout's mask on a feature map."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import gradio as gr

from cnnapp.ui.i18n import T, say
from cnnapp.ui.learn.shared import Section, event, texts
from cnnapp.ui.widgets import bounded_number, bounded_slider

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COURSE_LOGITS = "2.0, 1.0, 0.1"  # the classic softmax example


def flatten_view(channels: float, height: float, width: float) -> Figure:
    """A numbered C×H×W volume and its flattened vector."""
    from cnnapp.course import layers

    volume, vector = layers.flatten(int(channels), int(height), int(width))
    return layers.flatten_figure(volume, vector, texts("channel", "vector"))


def softmax_view(logits: str, temperature: float) -> tuple[Figure, str]:
    """Bars of softmax(z / T) and the predicted class."""
    from cnnapp.course import layers

    z = layers.parse_logits(logits)
    probs = layers.softmax(z, float(temperature))
    text = say("learn.softmax_sum", total=probs.sum(), top=int(probs.argmax()) + 1, p=probs.max())
    return layers.softmax_figure(z, float(temperature), texts("class", "probability")), text


def dropout_view(p: float, seed: float) -> tuple[Figure, str]:
    """Dropout on the example feature map: the map, the mask and the scaled result, with the counts."""
    from cnnapp.course import layers

    r = layers.dropout(layers.feature_map(), float(p), int(seed))
    text = say(
        "learn.dropout_summary",
        kept=int(r.mask.sum()),
        total=r.mask.size,
        share=r.mask.mean(),
        expected=1 - r.p,
        scale=1 / (1 - r.p),
        before=r.feature_map.mean(),
        after=r.output.mean(),
    )
    return layers.dropout_figure(r, texts("before", "mask", "after")), text


def build() -> Section:
    """The sub-tab's layout; it is drawn when the sub-tab is opened."""
    gr.Markdown(T("learn.flatten_text"))
    with gr.Row():
        c = {
            "channels": bounded_slider(1, 4, value=2, step=1, label_key="learn.channels"),
            "height": bounded_slider(1, 5, value=3, step=1, label_key="learn.height"),
            "width": bounded_slider(1, 5, value=3, step=1, label_key="learn.width"),
        }
    c["flat"] = gr.Plot(label=T("learn.flatten_plot"), format="png", show_label=False, elem_id="learn-flatten")
    gr.Markdown(T("learn.softmax_text"))
    with gr.Row():
        c["logits"] = gr.Textbox(COURSE_LOGITS, label=T("learn.logits"), elem_id="learn-logits")
        c["temperature"] = bounded_slider(
            0.1, 5, value=1, step=0.05, label_key="learn.temperature", elem_id="learn-temperature"
        )
    c["softmax"] = gr.Plot(label=T("learn.probabilities"), format="png", show_label=False, elem_id="learn-softmax")
    c["softmax_text"] = gr.Markdown()
    gr.Markdown(T("learn.dropout_text"))
    with gr.Row():
        c["p"] = bounded_slider(0, 0.9, value=0.5, step=0.05, label_key="learn.dropout_p", elem_id="learn-dropout-p")
        c["seed"] = bounded_number(0, 0, 2**31 - 1, precision=0, label_key="learn.seed", min_width=120)
    c["dropout"] = gr.Plot(label=T("learn.dropout_plot"), format="png", show_label=False, elem_id="learn-dropout")
    c["dropout_text"] = gr.Markdown()
    events = [
        event(flatten_view, [c["channels"], c["height"], c["width"]], [c["flat"]]),
        event(softmax_view, [c["logits"], c["temperature"]], [c["softmax"], c["softmax_text"]]),
        event(dropout_view, [c["p"], c["seed"]], [c["dropout"], c["dropout_text"]]),
    ]
    return Section(c, partial(_wire, c, *events), events)


def _wire(c: dict, flat: dict, soft: dict, dropped: dict) -> None:
    """Each figure follows its own inputs."""
    gr.on([c["channels"].release, c["height"].release, c["width"].release], **flat)
    gr.on([c["logits"].submit, c["logits"].blur, c["temperature"].change], **soft)
    gr.on([c["p"].change, c["seed"].change], **dropped)
