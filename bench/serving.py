"""Serving: prediction overhead over the raw forward pass, the app's cold start, `/predict` under load and
`/start_training` with a large upload, against a live app."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from bench.fixtures import WORKDIR
from bench.harness import Figure, interleaved_rates
from bench.loadgen import Http
from bench.procs import settle, terminate_tree
from cnnapp.data.transforms import prepare_arrays
from cnnapp.serving.inference import Predictor, to_square_array

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "assets" / "fashion-mnist-mini"


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


@contextmanager
def live_app() -> Iterator[str]:
    """`python app.py` on a free port, serving the bench workspace: its URL; afterwards the app and whatever it
    started (trainings, a pre-started trainer) are ended."""
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("the app did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        terminate_tree(proc)


def _gradio_client_latencies(client, image, model: str, calls: int) -> tuple[list[float], int]:
    """Seconds per `/predict` call through one `gradio_client.Client` for `calls` calls submitted at once, and the
    errors."""
    from gradio_client import handle_file

    starts, jobs = [], []
    for _ in range(calls):
        starts.append(time.perf_counter())
        jobs.append(client.submit(handle_file(str(image)), model, 3, api_name="/predict"))
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
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _predict_call(http: Http, fn_index: int, image: Path, model: str, session: str) -> tuple[float, float, bool]:
    """One `/predict` through Gradio's queue protocol as its web client speaks it (upload, join, event stream):
    seconds until the answer, Gradio's own `duration` of the event (queue wait and transport excluded) and whether it
    gave labels."""
    start = time.perf_counter()
    file = {"path": await http.upload(image.name, image.read_bytes()), "orig_name": image.name}
    body = {"data": [{**file, "meta": {"_type": "gradio.FileData"}}, model, 3], "fn_index": fn_index}
    await http.post_json("gradio_api/queue/join", {**body, "session_hash": session})
    for _event, data in await http.events(f"gradio_api/queue/data?session_hash={session}"):
        message = json.loads(data)
        if message.get("msg") == "process_completed":
            output = message.get("output") or {}
            ok = bool(message.get("success")) and bool((output.get("data") or [{}])[0].get("confidences"))
            return time.perf_counter() - start, float(output.get("duration") or 0), ok
    return time.perf_counter() - start, 0.0, False


class Callers:
    """`count` callers of `/predict`, each with its own session (a visitor with the page open, or an API client),
    sending together from one asyncio loop with `bench.loadgen` (a connection per request, little CPU): a load that
    costs its machine little, so that the server's latency, not the load generator's, is measured on the same 2
    cores."""

    def __init__(self, url: str, image: Path, model: str, count: int):
        self.url, self.image, self.model = url, image, model
        self.sessions = [uuid.uuid4().hex for _ in range(count)]

    async def _all(self, sessions: list[str]) -> list[tuple[float, float, bool]]:
        http = Http(self.url)
        _status, config = await http.request("GET", "config")
        fn_index = next(d["id"] for d in json.loads(config)["dependencies"] if d.get("api_name") == "predict")
        calls = [_predict_call(http, fn_index, self.image, self.model, s) for s in sessions]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    def open(self) -> None:
        """Every caller's first call, one after another (Gradio sets up a session's state on its first event)."""
        for session in self.sessions:
            asyncio.run(self._all([session]))

    def burst(self) -> tuple[list[float], int]:
        """Every caller calls at once: seconds per call (queueing included) and the errors."""
        results = asyncio.run(self._all(self.sessions))
        seconds = [r[0] for r in results if not isinstance(r, BaseException)]
        return seconds, sum(isinstance(r, BaseException) or not r[2] for r in results)


async def _rest_call(http: Http, image: Path, model: str) -> tuple[float, bool]:
    """One `/predict` as a curl user makes it (upload, `POST /gradio_api/call/predict` without a `session_hash`, then
    its event stream): a new gradio session per call. Seconds until the answer, and whether it gave labels."""
    start = time.perf_counter()
    file = {"path": await http.upload(image.name, image.read_bytes()), "meta": {"_type": "gradio.FileData"}}
    posted = await http.post_json("gradio_api/call/predict", {"data": [file, model, 3]})
    for event, data in await http.events(f"gradio_api/call/predict/{posted['event_id']}"):
        if event in ("complete", "error"):
            answer = json.loads(data)
            return time.perf_counter() - start, event == "complete" and bool(answer[0].get("confidences"))
    return time.perf_counter() - start, False


async def _plain_call(http: Http, image: Path, model: str) -> tuple[float, bool]:
    """One `POST /api/predict` (`cnnapp.ui.rest`) as `curl -F image=@... -F model=... -F top_k=3` makes it: seconds
    until the answer, and whether it gave labels."""
    start = time.perf_counter()
    answer = await http.post_form(
        "api/predict", {"model": model, "top_k": "3"}, {"image": (image.name, image.read_bytes())}
    )
    return time.perf_counter() - start, len(answer.get("confidences") or []) == 3


def rest_burst(url: str, image: Path, model: str, count: int, plain: bool = False) -> tuple[list[float], int]:
    """`count` session-less REST callers at once, through gradio's three-request route (or, `plain`, cnnapp's
    one-request `/api/predict`): seconds per call and the errors."""
    call = _plain_call if plain else _rest_call

    async def run() -> list:
        http = Http(url)
        return list(await asyncio.gather(*(call(http, image, model) for _ in range(count)), return_exceptions=True))

    results = asyncio.run(run())
    seconds = [r[0] for r in results if not isinstance(r, BaseException)]
    return seconds, sum(isinstance(r, BaseException) or not r[1] for r in results)


def _upload(http, path: Path) -> str:
    """Upload a file as a client does before calling an endpoint; the server's path of it."""
    with open(path, "rb") as f:
        response = http.post("gradio_api/upload", files={"files": (path.name, f)})
    response.raise_for_status()
    return response.json()[0]


def server_side_s(url: str, image: Path, model: str) -> float:
    """Seconds the server spent in one `/predict` call (Gradio's own `duration` of the event, queue wait and
    transport excluded)."""
    callers = Callers(url, image, model, 1)
    (result,) = asyncio.run(callers._all(callers.sessions))
    if isinstance(result, BaseException) or not result[2]:
        raise RuntimeError(f"/predict failed: {result}")
    return result[1]


def _trained_run(img_size: int) -> str:
    """A short run of the app's default model on the example at `img_size` px (trained here, before the app starts)."""
    from cnnapp.training.config import TrainConfig
    from cnnapp.training.train import train

    cfg = TrainConfig(data=str(EXAMPLE), arch="tf_efficientnet_lite0", img_size=img_size, epochs=1, freeze=True)
    run, status = train(cfg, progress=False)
    if status["state"] != "completed":
        raise RuntimeError(status["message"])
    return run.id


def load(quick: bool) -> list[Figure]:
    """50 callers of `/predict` at once on a 96 px run against a live app, idle and while a training runs: p95 and
    errors over several bursts; the same burst through `gradio_client` and through the REST route without a session
    (curl's way); and the server's time for one idle call."""
    from gradio_client import Client, handle_file

    from cnnapp.runs import RunDir

    model = _trained_run(96)
    photo = _photo()
    bursts = 2 if quick else 5
    with live_app() as url:
        client = Client(url, verbose=False)
        client.predict(handle_file(str(photo)), model, 3, api_name="/predict")
        settle()  # the model is loaded and its fast path made (`Predictor.speed_up_later`) before anyone measures
        server_s = statistics.median(server_side_s(url, photo, model) for _ in range(5))
        callers = Callers(url, photo, model, 50)
        callers.open()
        idle, idle_errors = _bursts(callers, bursts)
        rest, rest_errors, gradio_rest, gradio_rest_errors = [], 0, [], 0
        for _ in range(bursts):
            seconds, failed = rest_burst(url, photo, model, 50, plain=True)
            rest, rest_errors = rest + seconds, rest_errors + failed
            seconds, failed = rest_burst(url, photo, model, 50)
            gradio_rest, gradio_rest_errors = gradio_rest + seconds, gradio_rest_errors + failed
        through_client, client_errors = _gradio_client_latencies(client, photo, model, 50)
        dataset = shutil.make_archive(str(WORKDIR / "demo"), "zip", EXAMPLE)
        config = '{"arch": "tf_efficientnet_lite0", "freeze": false, "img_size": 96, "epochs": 50}'
        run_id = client.predict(handle_file(dataset), config, api_name="/start_training")
        deadline = time.time() + 300
        while client.predict(run_id, api_name="/run_status").get("batch") is None and time.time() < deadline:
            time.sleep(0.5)
        busy, busy_errors = _bursts(callers, bursts)
        state = client.predict(run_id, api_name="/run_status")["state"]
        RunDir.of(run_id).request_stop()
    errors = float(idle_errors + busy_errors + client_errors + rest_errors + gradio_rest_errors)
    return [
        Figure(
            "predict_rest_p95_s",
            _p(rest, 0.95),
            0.5,
            "<=",
            " s",
            detail={
                "p50 s": _p(rest, 0.5),
                "calls": f"{bursts} bursts of 50 session-less callers of POST /api/predict (one request each)",
                "errors": float(rest_errors),
                "gradio's REST route (upload, /call/predict, its events; a new session per call) p50 s": _p(
                    gradio_rest, 0.5
                ),
                "gradio's REST route p95 s": _p(gradio_rest, 0.95),
                "gradio's REST route errors": float(gradio_rest_errors),
                "open-session p95 s (predict_p95_s)": _p(idle, 0.95),
            },
        ),
        Figure(
            "predict_p95_s",
            _p(idle, 0.95),
            1,
            "<=",
            " s",
            detail={
                "idle p50 s": _p(idle, 0.5),
                "calls": f"{bursts} bursts of 50 callers, each its own session",
                "model": f"run {model} (Lite0, 96 px)",
                "50 at once through one gradio_client p95 s": _p(through_client, 0.95),
            },
        ),
        Figure(
            "predict_p95_training_vs_idle",
            _p(busy, 0.95) / _p(idle, 0.95),
            3,
            "<=",
            detail={
                "training p50 s": _p(busy, 0.5),
                "training p95 s": _p(busy, 0.95),
                "training state": state,
            },
        ),
        Figure(
            "predict_errors_under_load",
            errors,
            0,
            "<=",
            detail={"calls": float(len(idle) + len(busy) + len(rest) + len(gradio_rest) + 50)},
        ),
        Figure(
            "predict_idle_server_ms",
            server_s * 1000,
            100,
            "<=",
            " ms",
            detail={"measured": "Gradio's duration of the event, median of 5 single calls"},
        ),
    ]


def _bursts(callers: Callers, count: int) -> tuple[list[float], int]:
    """`count` bursts of every caller at once (each after the last has ended): every call's seconds, and the errors."""
    seconds, errors = [], 0
    for _ in range(count):
        burst, failed = callers.burst()
        seconds += burst
        errors += failed
    return seconds, errors


def _zip_of_pngs(count: int) -> Path:
    """A dataset `.zip` of `count` Fashion-MNIST 28×28 PNGs in class folders, written straight from the arrays."""
    from cnnapp.data.examples import FASHION_MNIST_CLASSES, fashion_mnist_arrays

    path = WORKDIR / f"fashion-mnist-{count}.zip"
    images, labels = fashion_mnist_arrays("train")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            buffer = io.BytesIO()
            Image.fromarray(images[i], mode="L").save(buffer, "PNG")
            archive.writestr(f"fashion/{FASHION_MNIST_CLASSES[labels[i]]}/{i:05d}.png", buffer.getvalue())
    return path


def start_training_return(quick: bool) -> list[Figure]:
    """`/start_training` through `gradio_client` with a large zip: seconds until it returns a run id, less the
    upload (the same file posted to Gradio's upload route alone)."""
    import httpx
    from gradio_client import Client, handle_file

    count = 5000 if quick else 20000
    archive = _zip_of_pngs(count)
    with live_app() as url:
        settle()  # a visitor comes once the app has started (it warms up its engine after serving the first page)
        client = Client(url, verbose=False)
        with httpx.Client(base_url=url, timeout=300) as http:
            start = time.perf_counter()
            _upload(http, archive)
            upload_s = time.perf_counter() - start
        start = time.perf_counter()
        run_id = client.predict(handle_file(str(archive)), '{"epochs": 1}', api_name="/start_training")
        return_s = time.perf_counter() - start
        state = client.predict(run_id, api_name="/run_status")["state"]
    return [
        Figure(
            "start_training_return_s",
            return_s - upload_s,
            1,
            "<=",
            " s",
            detail={
                "returned after s": return_s,
                "upload s": upload_s,
                "images": float(count),
                "zip MB": archive.stat().st_size / 1e6,
                "state then": state,
            },
        )
    ]
