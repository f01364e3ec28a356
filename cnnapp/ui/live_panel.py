"""Live camera on the Predict tab: the camera's stream classified continuously with the tab's model and top-k.

The browser sends a small frame whenever the previous answer has arrived (at most every `EVERY_S`), so the
bars update as fast as the model allows; prediction goes through `cnnapp.api.predict` and its cached model.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr
import numpy as np

from cnnapp import api
from cnnapp.ui.common import PRIVATE, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T
from cnnapp.ui.widgets import streaming_camera

EVERY_S = 0.1
LIMIT_S = 600  # a stream stops after this long; Record starts it again
CAMERA = (320, 240)  # ample for 224 px models, cheap to send


def classify_frame(
    root: Path, frame: np.ndarray | None, model: str | None, top_k: float, session: str | None = None
) -> dict[str, float] | None:
    """Top-k probabilities for one camera frame (nothing while there is no frame or no model)."""
    if frame is None or not model:
        return None
    return api.predict(frame, model, top_k, root, session)


def build(ctx: UIContext, model: gr.Dropdown, top_k: gr.Slider) -> None:
    """The live section, using the Predict tab's model and top-k."""
    with gr.Accordion(T("predict.live_title"), open=False, elem_id="live"):
        gr.Markdown(T("predict.live_intro"))
        with gr.Row():
            with gr.Column(min_width=280):
                camera = streaming_camera(T("predict.live_camera"), "live-cam", *CAMERA)
            with gr.Column(min_width=280):
                label = gr.Label(label=T("predict.live_label"), elem_id="live-label")
    camera.stream(
        user_errors(partial(classify_frame, ctx.root)),
        [camera, model, top_k, ctx.session],
        label,
        stream_every=EVERY_S,
        time_limit=LIMIT_S,
        show_progress="hidden",
        **PRIVATE,
    )
