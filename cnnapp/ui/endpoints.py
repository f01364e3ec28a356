"""The HTTP API: named endpoints `/start_training`, `/compare`, `/resume_training`, `/stop_training`, `/run_status`,
`/predict`, `/predict_batch` and `/list_runs` (see the README).

They live on hidden components, apart from the tabs, so that the contract stays stable while the UI changes.
A caller's session (for `CNNAPP_SESSION_RUNS`) is its gradio session: one per `gradio_client.Client`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import gradio as gr
import gradio.state_holder

from cnnapp import api
from cnnapp.errors import RunError
from cnnapp.jobs import sessions
from cnnapp.ui.common import api_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.uploads import discard

ENDPOINTS = (
    *("start_training", "compare", "resume_training", "stop_training", "run_status"),  # trainings
    *("predict", "predict_batch", "list_runs"),  # what they made
)
# predictions run this many at a time, with the Predict tab's: those with one model share forward passes
# (`cnnapp.serving.inference.Batcher`; inference.MAX_BATCH, not imported here: it would import torch on the first page)
PREDICT = {"concurrency_id": "predict", "concurrency_limit": 16}
# a .zip of images classified whole, one at a time (the API's and the Predict tab's): it holds the cores for a while
PREDICT_BATCH = {"concurrency_id": "predict_batch", "concurrency_limit": 1}


def api_session(request: gr.Request | None, creates_run: bool = False) -> str | None:
    """The API caller's session, kept apart from the browsers' tokens.

    A REST call (`POST /gradio_api/call/<name>`) that sends no `session_hash` gets gradio's event id as its session:
    a new one per call, so nothing it creates could be read, stopped or used by its next call. Such callers share
    one session (`api:no-session`) for the queue limits; with runs per visitor on, `creates_run` refuses them with
    how to call instead (a run nobody could reach again would only take a slot).
    """
    if request is None or not request.session_hash:
        return None
    if not _throwaway(request):
        return caller(request.session_hash)
    if creates_run and sessions.scoped():
        raise RunError(NO_SESSION)
    return ANONYMOUS


def caller(session_hash: str | None) -> str:
    """The session of an API caller who sent `session_hash` (prefixed: never a browser's token), or the session-less
    callers' shared one."""
    return f"api:{session_hash}" if session_hash else ANONYMOUS


ANONYMOUS = "api:no-session"
NO_SESSION = (
    "this call sent no session, so its run could not be read, stopped or used afterwards: send the same "
    '"session_hash" (a private string of your own) in the body of this call and of every later one, e.g. '
    '{"data": [...], "session_hash": "my-secret-1234"}, or call with gradio_client'
)
_EVENT_ID = re.compile(r"[0-9a-f]{32}")  # gradio's event ids (uuid4().hex), the session of a call that sent none


def _throwaway(request: gr.Request) -> bool:
    """Whether gradio made up this request's session from its event id (a REST call without `session_hash`)."""
    http = getattr(request, "request", None)
    path = str(getattr(getattr(http, "url", None), "path", ""))
    return "/call/" in path and bool(_EVENT_ID.fullmatch(request.session_hash or ""))


class LazySessionState(gradio.state_holder.SessionState):
    """A gradio session whose page config (`config_values`, read only for a deep link) is made when first read.

    Gradio makes every block's config for each new session (~40-140 ms of CPU for this app's ~380 blocks), and a
    REST call without a `session_hash` is a new session every time: measured under a burst of 50 such calls, that
    was nearly all of a call's server time. The config of a block nobody changed is the same made now or later
    (`__setitem__` and `_update_value_in_config` keep writing the ones that change), so it is made on demand.
    """

    def __init__(self, blocks: gr.Blocks):
        super().__init__(SimpleNamespace(default_config=blocks.default_config, blocks={}))  # no block's config yet
        self._page = blocks.blocks

    @property
    def components(self) -> Iterator[dict]:
        """Every block's config, as gradio's (made now for the blocks this session has not changed)."""
        for key, block in self.blocks_config.blocks.items():
            if key in self._page and key not in self.config_values:
                self.config_values[key] = self.blocks_config.config_for_block(key, [], block)
        return super().components


def lazy_sessions() -> None:
    """Make gradio's sessions in this process `LazySessionState`s (its `StateHolder` makes them by this name)."""
    gradio.state_holder.SessionState = LazySessionState


def build(ctx: UIContext) -> None:
    """Register the endpoints (call before the tabs so that their names stay unsuffixed); sessions made lazily."""
    lazy_sessions()
    jobs, root = ctx.jobs, ctx.root

    @api_errors
    def start_training(dataset: str | None, config: str | None, request: gr.Request) -> str:
        try:
            return api.start_training(jobs, dataset, config, api_session(request, creates_run=True))
        finally:
            discard(dataset)  # kept in the workspace for its training (or refused): the upload is not needed again

    @api_errors
    def compare(dataset: str | None, config: str | None, request: gr.Request) -> list[dict[str, Any]]:
        try:
            return api.compare(jobs, dataset, config, api_session(request, creates_run=True))
        finally:
            discard(dataset)

    @api_errors
    def resume_training(run_id: str, request: gr.Request) -> str:
        return api.resume_training(jobs, run_id, api_session(request, creates_run=True))

    @api_errors
    def stop_training(run_id: str, request: gr.Request) -> str:
        return api.stop_training(jobs, run_id, api_session(request))

    @api_errors
    def run_status(run_id: str, all_epochs: bool, request: gr.Request) -> dict[str, Any]:
        return api.run_status(run_id, root, api_session(request), all_epochs=bool(all_epochs))

    @api_errors
    def predict(image: str | None, model: str | None, top_k: Any, request: gr.Request) -> dict[str, float]:
        try:
            return api.predict(image, model, top_k, root, api_session(request))
        finally:
            discard(image)

    @api_errors
    def predict_batch(
        archive: str | None, model: str | None, top_k: Any, request: gr.Request
    ) -> tuple[str, list[dict[str, Any]]]:
        try:
            csv_path, _, result = api.predict_batch(archive, model, top_k, root, api_session(request))
        finally:
            discard(archive)
        # each skipped file as "file", not "path": gradio_client would take the object for a file to fetch
        return str(csv_path), [{"file": s["path"], "reason": s["reason"]} for s in result.skipped]

    @api_errors
    def list_runs(request: gr.Request) -> list[dict[str, Any]]:
        return api.list_runs(root, api_session(request))

    hidden = {"visible": False}
    dataset = gr.File(label="dataset", **hidden)
    config = gr.Textbox(label="config", **hidden)
    run_id = gr.Textbox(label="run_id", **hidden)
    all_epochs = gr.Checkbox(value=False, label="all_epochs", **hidden)
    status = gr.JSON(label="status", **hidden)
    message = gr.Textbox(label="message", **hidden)
    image = gr.File(label="image", **hidden)
    model = gr.Textbox(label="model", **hidden)
    top_k = gr.Number(value=5, label="top_k", **hidden)  # no precision: cnnapp checks the value (limits.check_top_k)
    prediction = gr.Label(label="prediction", **hidden)
    runs = gr.JSON(label="runs", **hidden)
    archive = gr.File(label="archive", **hidden)
    predictions = gr.File(label="predictions", **hidden)
    skipped = gr.JSON(label="skipped", **hidden)
    grid = gr.JSON(label="grid", **hidden)
    trigger = gr.Button(**hidden)

    trigger.click(
        start_training,
        [dataset, config],
        run_id,
        api_name="start_training",
        api_description="Queue a training on an uploaded .zip dataset (ImageFolder layout) with a JSON config of "
        "CLI options; returns the run id.",
    )
    trigger.click(
        compare,
        [dataset, config],
        grid,
        api_name="compare",
        api_description="Queue the Compare grid (from scratch; pretrained frozen; pretrained fine-tuned; frozen then "
        "unfrozen) on an uploaded .zip with a JSON config of the shared options, as one request; returns each "
        "setting with its run id, or why it cannot run.",
    )
    trigger.click(
        resume_training,
        run_id,
        message,
        api_name="resume_training",
        api_description="Queue an interrupted, cancelled or failed run to continue from its checkpoint.",
    )
    trigger.click(
        stop_training,
        run_id,
        message,
        api_name="stop_training",
        concurrency_limit=None,
        api_description="Cancel a queued run or stop a running one after its current batch (a checkpoint is saved).",
    )
    trigger.click(
        run_status,
        [run_id, all_epochs],
        status,
        api_name="run_status",
        concurrency_limit=None,
        api_description=f"State, epoch, epochs, message, progress and the last {api.STATUS_EPOCHS} epochs' metrics "
        "of a run (all_epochs: every epoch's).",
    )
    trigger.click(
        predict,
        [image, model, top_k],
        prediction,
        api_name="predict",
        **PREDICT,
        api_description="Classify an image with a run id or imagenet:<arch>; returns the top_k labels with "
        "probabilities.",
    )
    trigger.click(
        predict_batch,
        [archive, model, top_k],
        [predictions, skipped],
        api_name="predict_batch",
        **PREDICT_BATCH,
        api_description="Classify every image of an uploaded .zip with a run id or imagenet:<arch>; returns the CSV "
        "(path, label, confidence, then top2_label, top2_conf, ... up to top_k) and the files skipped with why.",
    )
    trigger.click(
        list_runs,
        None,
        runs,
        api_name="list_runs",
        concurrency_limit=None,
        api_description="Every run in the workspace (with CNNAPP_SESSION_RUNS=1: the caller's), newest first.",
    )
