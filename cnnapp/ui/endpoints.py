"""The HTTP API: named endpoints `/start_training`, `/run_status`, `/predict` and `/list_runs` (see the README).

They live on hidden components, apart from the tabs, so that the contract stays stable while the UI changes.
"""

from __future__ import annotations

from functools import partial

import gradio as gr

from cnnapp import api
from cnnapp.ui.common import api_errors
from cnnapp.ui.context import UIContext

ENDPOINTS = ("start_training", "run_status", "predict", "list_runs")


def build(ctx: UIContext) -> None:
    """Register the four endpoints (call before the tabs so that their names stay unsuffixed)."""
    hidden = {"visible": False}
    dataset = gr.File(label="dataset", **hidden)
    config = gr.Textbox(label="config", **hidden)
    run_id = gr.Textbox(label="run_id", **hidden)
    status = gr.JSON(label="status", **hidden)
    image = gr.File(label="image", **hidden)
    model = gr.Textbox(label="model", **hidden)
    top_k = gr.Number(value=5, precision=0, label="top_k", **hidden)
    prediction = gr.Label(label="prediction", **hidden)
    runs = gr.JSON(label="runs", **hidden)
    trigger = gr.Button(**hidden)

    trigger.click(
        api_errors(partial(api.start_training, ctx.jobs)), [dataset, config], run_id, api_name="start_training",
        api_description="Queue a training on an uploaded .zip dataset (ImageFolder layout) with a JSON config of CLI options; returns the run id.",
    )
    trigger.click(
        api_errors(partial(api.run_status, root=ctx.root)), run_id, status, api_name="run_status", concurrency_limit=None,
        api_description="State, epoch, epochs, message, progress and metrics so far of a run.",
    )
    trigger.click(
        api_errors(partial(api.predict, root=ctx.root)), [image, model, top_k], prediction, api_name="predict",
        api_description="Classify an image with a run id or imagenet:<arch>; returns the top_k labels with probabilities.",
    )
    trigger.click(
        api_errors(partial(api.list_runs, ctx.root)), None, runs, api_name="list_runs", concurrency_limit=None,
        api_description="Every run in the workspace, newest first.",
    )
