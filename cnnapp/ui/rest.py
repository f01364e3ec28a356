"""`POST /api/predict`: a prediction in one plain HTTP request, for curl and scripts.

    curl -F image=@cat.jpg -F model=<run id or imagenet:<arch>> -F top_k=3 http://127.0.0.1:7860/api/predict

answers `{"label": ..., "confidences": [{"label": ..., "confidence": ...}, ...]}` as the `/predict` endpoint does, or
`{"error": ..., "code": ...}` with status 400 (a bad image, model or top_k), 404 (no such run), 413 (past
`CNNAPP_MAX_UPLOAD`) or 411 (no Content-Length). A `session_hash` field reads that API session's runs (as in gradio's
routes); without one the call is session-less (`endpoints.caller`).

Gradio's REST route takes three requests (upload, call, event stream) and its queue's bookkeeping: measured on 2
cores, about 12 ms of the interpreter per call, so 50 callers at once wait 0.6 s for the last answer whatever the
model costs. Here the engine's `api.predict` is the whole call. The same engine, checks and shared forward passes
(`serving.inference.Batcher`) answer it, at most `endpoints.PREDICT`'s number at a time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import gradio as gr
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cnnapp import api, settings
from cnnapp.errors import CnnappError, RunError
from cnnapp.messages import Message, msg
from cnnapp.ui.endpoints import PREDICT, caller

PATH = "/api/predict"
LABEL = gr.Label()  # its `postprocess`: the answer in `/predict`'s JSON


def _refuse(status: int, message: Message) -> JSONResponse:
    return JSONResponse({"error": str(message), "code": message.code}, status_code=status)


async def predict(request: Request, root: Path, slots: asyncio.Semaphore) -> JSONResponse:
    """One image (multipart field `image`) classified with `model`, top `top_k` (default 5), with the runs of the
    workspace `root`, once one of the `slots` is free."""
    limit, length = settings.get().max_upload, request.headers.get("content-length", "")
    if not length.isdigit():
        return _refuse(411, msg("rest.no_length"))
    if int(length) > limit:
        return _refuse(413, msg("rest.too_large", size=int(length), limit=limit))
    try:
        form = await request.form(max_files=1, max_fields=3)
    except Exception:  # starlette's parser refuses a body that is not a form of at most one file
        return _refuse(400, msg("rest.not_form"))
    try:
        image, model = form.get("image"), form.get("model")
        if image is not None and not isinstance(image, UploadFile):
            return _refuse(400, msg("rest.image_not_file"))
        session = form.get("session_hash")
        who = caller(session if isinstance(session, str) else None)
        async with slots:
            answer = await run_in_threadpool(api.predict, image and image.file, model, form.get("top_k", 5), root, who)
    except CnnappError as exc:
        return _refuse(404 if isinstance(exc, RunError) else 400, exc.message)
    finally:
        await form.close()
    return JSONResponse(LABEL.postprocess(answer).model_dump())  # what `/predict`'s gr.Label sends


def routes(root: Path) -> list[Route]:
    """The routes, for the app serving the workspace `root` (`launch_options`' `app_kwargs`)."""

    slots = asyncio.Semaphore(PREDICT["concurrency_limit"])  # this server's (one per app: one per event loop)

    async def endpoint(request: Request) -> JSONResponse:  # a function: starlette calls it with the request
        return await predict(request, root, slots)

    return [Route(PATH, endpoint, methods=["POST"])]
