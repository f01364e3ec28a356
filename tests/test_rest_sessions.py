"""Callers of Gradio's REST route (`POST /gradio_api/call/<name>`, then its event stream): what curl users and
many integrations do. A call that sends no `session_hash` gets a new session per call from gradio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from conftest import random_image, trained_demo_run
from gradio.state_holder import StateHolder
from test_api import zip_folder

from bench.serving import _p, rest_burst
from cnnapp.jobs import sessions
from cnnapp.ui import build_app
from cnnapp.ui.endpoints import NO_SESSION, LazySessionState

pytestmark = pytest.mark.slow  # a real server


def upload(base: str, path: Path) -> dict[str, Any]:
    with open(path, "rb") as f:
        (server_path,) = httpx.post(f"{base}/gradio_api/upload", files={"files": (path.name, f)}, timeout=60).json()
    return {"path": server_path, "meta": {"_type": "gradio.FileData"}}


def call(base: str, name: str, data: list[Any], session: str | None = None) -> tuple[str, Any]:
    """One REST call: the event that ended it (`complete` or `error`) and its data."""
    body: dict[str, Any] = {"data": data}
    if session is not None:
        body["session_hash"] = session
    event_id = httpx.post(f"{base}/gradio_api/call/{name}", json=body, timeout=60).json()["event_id"]
    event = None
    with httpx.stream("GET", f"{base}/gradio_api/call/{name}/{event_id}", timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event in ("complete", "error"):
                return event, json.loads(line.removeprefix("data: "))
    raise AssertionError(f"/call/{name} ended without an answer")


def test_with_runs_per_visitor_a_call_without_a_session_is_told_how_to_call(
    monkeypatch, serve, small_dataset, tmp_path
):
    monkeypatch.setenv("CNNAPP_SESSION_RUNS", "1")
    archive = zip_folder(small_dataset, tmp_path / "small.zip")
    config = '{"arch": "lenet5", "epochs": 1}'
    with serve() as app:
        base = app.url.rstrip("/")
        event, answer = call(base, "start_training", [upload(base, archive), config])
        assert event == "error" and answer["error"] == NO_SESSION
        assert call(base, "list_runs", [], "my-secret-1234") == ("complete", [[]]), "nothing was queued"

        event, (run_id,) = call(base, "start_training", [upload(base, archive), config], "my-secret-1234")
        assert event == "complete"
        event, (status,) = call(base, "run_status", [run_id, False], "my-secret-1234")
        assert event == "complete" and status["run_id"] == run_id, "the same session reads its run"
        assert call(base, "list_runs", [], "someone-else-5678") == ("complete", [[]])
        event, answer = call(base, "run_status", [run_id, False], "someone-else-5678")
        assert event == "error" and "no run named" in answer["error"]


def test_without_runs_per_visitor_session_less_calls_share_one_queue_limit(monkeypatch, serve, small_dataset, tmp_path):
    monkeypatch.delenv("CNNAPP_SESSION_RUNS", raising=False)
    monkeypatch.setenv("CNNAPP_MAX_JOBS", "1")
    archive = zip_folder(small_dataset, tmp_path / "small.zip")
    config = '{"arch": "lenet5", "epochs": 30}'
    with serve() as app:
        base = app.url.rstrip("/")
        answers = [call(base, "start_training", [upload(base, archive), config]) for _ in range(5)]
        started = [data[0] for event, data in answers if event == "complete"]
        refused = [data for event, data in answers if event == "error"]
        # one trains, and the session-less callers together may keep the per-session number waiting: no more
        assert 2 <= len(started) <= 4 and refused and "waiting" in refused[0]["error"]
        for run_id in started:
            app.jobs.stop(run_id)


def test_fifty_session_less_callers_at_once_are_all_answered(workspace, serve, tmp_path):
    """Each call is a new gradio session (the event id), made without the page's config (`LazySessionState`)."""
    run = trained_demo_run(workspace)
    image = random_image(tmp_path / "photo.png", (64, 48))
    with serve() as app:
        base = app.url.rstrip("/")
        assert call(base, "predict", [upload(base, image), run.id, 3])[0] == "complete"
        sessions = len(app.demo.state_holder.session_data)
        seconds, errors = rest_burst(app.url, image, run.id, 50)
        assert errors == 0 and len(seconds) == 50
        assert len(app.demo.state_holder.session_data) >= sessions + 50, "each call was a session of its own"
        print(f"50 session-less REST callers at once: p50 {_p(seconds, 0.5):.2f} s, p95 {_p(seconds, 0.95):.2f} s")


def test_a_lazy_session_gives_the_page_config_gradio_would(workspace):
    demo = build_app(workspace)
    holder = StateHolder()
    holder.set_blocks(demo)
    session = holder["a-visitor"]
    assert isinstance(session, LazySessionState) and not session.config_values, "nothing made for a new session"
    eager = LazySessionState.__mro__[1](demo)  # gradio's own SessionState
    assert list(session.components) == list(eager.components) and len(session.config_values) > 300


@pytest.mark.parametrize("route", ["run", "api"])
def test_no_endpoint_runs_outside_the_queue(workspace, serve, tmp_path, route):
    """gradio's direct routes (`POST /gradio_api/run/<name>`, `/gradio_api/api/<name>`) would answer without the
    queue, past each endpoint's concurrency limit: they are closed, and the queued route still answers."""
    run = trained_demo_run(workspace)
    image = random_image(tmp_path / "photo.png", (64, 48))
    with serve() as app:
        base = app.url.rstrip("/")
        for name, data in (("predict", [upload(base, image), run.id, 3]), ("list_runs", [])):
            direct = httpx.post(f"{base}/gradio_api/{route}/{name}", json={"data": data}, timeout=60)
            assert direct.status_code == 404 and "queue" in direct.json()["detail"], name
            assert call(base, name, data)[0] == "complete", name


# ----- POST /api/predict: one request (cnnapp.ui.rest) ----------------------------------------------------------


def plain(base: str, files: dict[str, Any] | None = None, **fields: Any) -> tuple[int, dict[str, Any]]:
    """One `POST /api/predict` as curl's `-F` sends it: the status and the JSON answer."""
    answer = httpx.post(f"{base}/api/predict", data=fields, files=files, timeout=60)
    return answer.status_code, answer.json()


def test_one_request_predicts_as_the_predict_endpoint_does_and_fifty_at_once_are_answered(workspace, serve, tmp_path):
    run = trained_demo_run(workspace)
    image = random_image(tmp_path / "photo.png", (64, 48))
    with serve() as app:
        base = app.url.rstrip("/")
        status, answer = plain(base, {"image": image.read_bytes()}, model=run.id, top_k=3)
        event, (queued,) = call(base, "predict", [upload(base, image), run.id, 3])
        assert status == 200 and event == "complete" and len(answer["confidences"]) == 3
        assert answer["label"] == queued["label"] and [c["label"] for c in answer["confidences"]] == [
            c["label"] for c in queued["confidences"]
        ], "the same answer as the /predict endpoint's"
        assert len(plain(base, {"image": image.read_bytes()}, model=run.id)[1]["confidences"]) == 5, "top_k 5"
        seconds, errors = rest_burst(app.url, image, run.id, 50, plain=True)
        assert errors == 0 and len(seconds) == 50
        print(f"50 callers of /api/predict at once: p50 {_p(seconds, 0.5):.2f} s, p95 {_p(seconds, 0.95):.2f} s")


def test_one_request_refuses_bad_calls_with_a_code_and_what_to_do(workspace, serve, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNAPP_MAX_UPLOAD", "20kb")
    run = trained_demo_run(workspace)
    image = random_image(tmp_path / "photo.png", (64, 48)).read_bytes()
    with serve() as app:
        base = app.url.rstrip("/")
        cases = [
            ({}, {"model": run.id}, 400, "api.no_image"),
            ({"image": image}, {}, 400, "api.no_model"),
            ({"image": b"not a picture"}, {"model": run.id}, 400, "image.not_image"),
            ({"image": image}, {"model": run.id, "top_k": "0"}, 400, "top_k.too_small"),
            ({"image": image}, {"model": run.id, "top_k": "two"}, 400, "top_k.not_whole"),
            ({"image": image}, {"model": "20990101-000000-lenet5-0000"}, 404, "runs.not_found"),
            ({"image": image}, {"model": "../../etc"}, 404, "runs.bad_id"),
            (None, {"model": run.id, "image": "photo.png"}, 400, "rest.image_not_file"),
            ({"image": np.zeros(30_000, np.uint8).tobytes()}, {"model": run.id}, 413, "rest.too_large"),
        ]
        for files, fields, status, code in cases:
            got, answer = plain(base, files, **fields)
            assert (got, answer["code"]) == (status, code) and "\n" not in answer["error"], (fields, answer)
        not_form = httpx.post(f"{base}/api/predict", json={"image": "x"}, timeout=60)
        assert (not_form.status_code, not_form.json()["code"]) == (400, "api.no_image"), "a JSON body has no image"
        two = [("image", ("a.png", image)), ("image", ("b.png", image))]
        bad = httpx.post(f"{base}/api/predict", data={"model": run.id}, files=two, timeout=60)
        assert (bad.status_code, bad.json()["code"]) == (400, "rest.not_form")
        assert plain(base, {"image": image}, model=run.id)[0] == 200, "the server still answers"


def test_one_request_with_runs_per_visitor_reads_only_its_sessions_runs(workspace, serve, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNAPP_SESSION_RUNS", "1")
    run = trained_demo_run(workspace)
    sessions.claim(run, "api:my-secret-1234")
    image = random_image(tmp_path / "photo.png", (64, 48)).read_bytes()
    with serve() as app:
        base = app.url.rstrip("/")
        assert plain(base, {"image": image}, model=run.id, session_hash="my-secret-1234")[0] == 200
        for other in ({}, {"session_hash": "someone-else-5678"}):
            assert plain(base, {"image": image}, model=run.id, **other)[1]["code"] == "runs.not_found", other
