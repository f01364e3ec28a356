"""The Learn tab's Loss functions sub-tab: MSE, MAE and the cross-entropies against one prediction, and each
example's loss in an editable batch with the batch's cost."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import gradio as gr
import pandas as pd

from cnnapp.ui.common import PRIVATE
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T, say
from cnnapp.ui.learn.names import names
from cnnapp.ui.learn.shared import Section, dataframe, event, texts
from cnnapp.ui.widgets import bounded_slider

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def loss_view(target: float, prediction: float) -> Figure:
    """The four losses against the prediction for the chosen target."""
    from cnnapp.course import losses

    t = texts("target_short", "prediction_axis", "loss_axis")
    labels = {"target": t["target_short"], "prediction": t["prediction_axis"], "loss": t["loss_axis"]}
    return losses.loss_figure(float(target), float(prediction), names("loss_names"), labels)


def batch_view(table: pd.DataFrame) -> pd.DataFrame:
    """Each example's loss under the four functions, and the batch's cost (their mean) in the last row."""
    from cnnapp.course import losses

    y, p, each, cost = losses.batch(table)
    example, losses = say("learn.example"), names("loss_names")
    rows = [
        {
            example: str(i + 1),
            "y": f"{y[i]:g}",
            "ŷ": f"{p[i]:g}",
            **{losses[k]: round(float(each[k][i]), 4) for k in each},
        }
        for i in range(len(y))
    ]
    cost_row = {losses[k]: round(v, 4) for k, v in cost.items()}
    rows.append({example: say("learn.cost_row"), "y": "", "ŷ": "", **cost_row})
    return pd.DataFrame(rows)


def batch_start() -> pd.DataFrame:
    """The example batch for the editable table."""
    from cnnapp.course import losses

    return pd.DataFrame(losses.EXAMPLE_BATCH, columns=["y", "ŷ"])


def build(ctx: UIContext) -> Section:
    """The sub-tab's layout; the batch is filled when the page loads, the rest drawn when the sub-tab is opened."""
    gr.Markdown(T("learn.loss_text"))
    with gr.Row():
        c = {
            "target": bounded_slider(0, 1, value=1, step=0.05, label_key="learn.target", elem_id="learn-loss-target"),
            "prediction": bounded_slider(
                0.01, 0.99, value=0.7, step=0.01, label_key="learn.prediction", elem_id="learn-loss-pred"
            ),
        }
    c["plot"] = gr.Plot(label=T("learn.loss_plot"), format="png", show_label=False, elem_id="learn-loss-plot")
    gr.Markdown(T("learn.batch_title"))
    with gr.Row():
        c["batch"] = dataframe(T("learn.batch_input"), "learn-batch", interactive=True, scale=1)
        c["losses"] = dataframe(T("learn.batch_output"), "learn-batch-losses", interactive=False, scale=3)
    lossed = event(loss_view, [c["target"], c["prediction"]], [c["plot"]])
    batched = event(batch_view, [c["batch"]], [c["losses"]])
    return Section(c, partial(_wire, ctx, c, lossed, batched), [lossed, batched])


def _wire(ctx: UIContext, c: dict, lossed: dict, batched: dict) -> None:
    """The curves follow the sliders; the batch's losses follow its table."""
    gr.on([c["target"].change, c["prediction"].change], **lossed)
    ctx.demo.load(batch_start, None, c["batch"], **PRIVATE)
    c["batch"].input(**batched)
