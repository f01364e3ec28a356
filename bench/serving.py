"""Serving: prediction overhead over the raw forward pass, and the app's cold start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from PIL import Image

from bench.fixtures import WORKDIR
from bench.harness import Figure, interleaved_rates
from cnnapp.inference import Predictor, to_square_array
from cnnapp.transforms import prepare_arrays

ROOT = Path(__file__).resolve().parents[1]


def _photo() -> Path:
    from skimage import data

    path = WORKDIR / "chelsea.jpg"
    Image.fromarray(data.chelsea()).save(path, quality=92)
    return path


def predict_overhead(quick: bool) -> list[Figure]:
    """End-to-end `predict` from a JPEG file against the model's forward on the prepared tensor."""
    predictor = Predictor.imagenet("tf_efficientnet_lite0")
    photo = _photo()
    x = prepare_arrays([to_square_array(photo, predictor.img_size)], predictor.prep)
    reps = 10 if quick else 30

    def end_to_end() -> int:
        for _ in range(reps):
            predictor.predict([photo], top_k=5)
        return reps

    def forward() -> int:
        for _ in range(reps):
            predictor.forward(x)
        return reps

    rates = interleaved_rates({"e2e": end_to_end, "forward": forward}, 3 if quick else 5)
    return [
        Figure(
            "predict_overhead",
            rates["forward"] / rates["e2e"],
            1.3,
            "<=",
            detail={
                "end-to-end ms": 1000 / rates["e2e"],
                "forward ms": 1000 / rates["forward"],
                "input": f"{photo.name} at {predictor.img_size} px",
            },
        )
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(quick: bool) -> list[Figure]:
    """Seconds from `python app.py` to the first page served."""
    samples = []
    for _ in range(1 if quick else 3):
        port = _free_port()
        env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
        start = time.time()
        proc = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while time.time() - start < 120:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.05)
            samples.append(time.time() - start)
        finally:
            proc.terminate()
            proc.wait(10)
    return [
        Figure(
            "cold_start_s", min(samples), 8, "<=", " s", detail={"runs": float(len(samples)), "slowest s": max(samples)}
        )
    ]


def _serve(port: int) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the app did not start")


def _latencies(client, image, calls: int) -> tuple[list[float], int]:
    """Seconds per `/predict` call for `calls` calls submitted at once (queueing included), and the errors."""
    from gradio_client import handle_file

    starts, jobs = [], []
    for _ in range(calls):
        starts.append(time.perf_counter())
        jobs.append(client.submit(handle_file(str(image)), "imagenet:tf_efficientnet_lite0", 3, api_name="/predict"))
    out, errors = [], 0
    for start, job in zip(starts, jobs):
        try:
            result = job.result(timeout=600)
            errors += not result.get("confidences")
        except Exception:  # any failed call counts; the figure is zero errors
            errors += 1
        out.append(time.perf_counter() - start)
    return out, errors


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def load(quick: bool) -> list[Figure]:
    """50 concurrent `/predict` calls against a live server, idle and while a training runs: p50/p95 and errors."""
    import shutil

    from gradio_client import Client, handle_file

    from cnnapp.runs import RunDir

    port = _free_port()
    server = _serve(port)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        photo = _photo()
        client.predict(handle_file(str(photo)), "imagenet:tf_efficientnet_lite0", 3, api_name="/predict")
        idle, idle_errors = _latencies(client, photo, 50)
        dataset = shutil.make_archive(str(WORKDIR / "demo"), "zip", ROOT / "assets" / "fashion-mnist-mini")
        config = '{"arch": "tf_efficientnet_lite0", "freeze": false, "img_size": 96, "epochs": 50}'
        run_id = client.predict(handle_file(dataset), config, api_name="/start_training")
        deadline = time.time() + 300
        while client.predict(run_id, api_name="/run_status").get("batch") is None and time.time() < deadline:
            time.sleep(0.5)
        busy, busy_errors = _latencies(client, photo, 50)
        state = client.predict(run_id, api_name="/run_status")["state"]
        RunDir(os.path.join(os.environ["CNNAPP_HOME"], "runs", run_id)).request_stop()
    finally:
        server.terminate()
        server.wait(30)
    ratio = _p(busy, 0.95) / _p(idle, 0.95)
    return [
        Figure(
            "predict_p95_training_vs_idle",
            ratio,
            3,
            "<=",
            detail={
                "idle p50 s": _p(idle, 0.5),
                "idle p95 s": _p(idle, 0.95),
                "training p50 s": _p(busy, 0.5),
                "training p95 s": _p(busy, 0.95),
                "errors": float(idle_errors + busy_errors),
                "calls": 100.0,
                "training state": state,
            },
        ),
        Figure("predict_errors_under_load", float(idle_errors + busy_errors), 0, "<=", detail={"calls": 100.0}),
    ]
