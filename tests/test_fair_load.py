"""Acceptance of the limits on a shared server: a visitor sending the worst training the limits allow cannot push
`/predict` p95 above 3× idle, and the next visitor's run starts within the wall-clock limit (a real `python app.py`,
two API sessions, real trainings)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from cnnapp.runs import RunDir, pid_alive
from cnnapp.settings import Settings
from cnnapp.training import budget

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CALLS = 15  # /predict calls per measurement: the whole test stays near a minute on 2 cores
CAP_MINUTES = 0.5
STOP_GRACE_S = 20  # the stopped run ends its batch, saves its checkpoint and exits; then the next one is launched
SERVER_LIMITS = {"CNNAPP_MAX_RUN_MINUTES": str(CAP_MINUTES), "CNNAPP_MAX_TRAIN_MEMORY": "1gb"}


def worst_config(settings: Settings, arch: str = "tf_efficientnet_lite0", img_size: int = 224) -> dict:
    """The heaviest training these limits accept: every epoch and worker, the whole backbone, the largest batch."""
    per_image = budget.training_memory(arch, img_size, 1, backbone_trains=True)
    batch = min(settings.max_batch_size, budget.max_train_memory(settings) // per_image)
    return {
        "arch": arch,
        "pretrained": False,
        "freeze": False,
        "img_size": img_size,
        "batch_size": batch,
        "workers": budget.max_workers(settings),
        "epochs": settings.max_epochs,
    }


def serve(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**env, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("the app did not start")


def p95(client: Client, image: Path) -> float:
    """p95 seconds of CALLS `/predict` calls made one after another."""
    seconds = []
    for _ in range(CALLS):
        start = time.perf_counter()
        result = client.predict(handle_file(str(image)), "imagenet:tf_efficientnet_lite0", 3, api_name="/predict")
        seconds.append(time.perf_counter() - start)
        assert result["confidences"]
    return sorted(seconds)[round(0.95 * (CALLS - 1))]


def wait_state(client: Client, run_id: str, leave: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while (status := client.predict(run_id, api_name="/run_status"))["state"] == leave:
        assert time.monotonic() < deadline, f"run {run_id} still {leave} after {timeout} s"
        time.sleep(0.3)
    return status


def test_the_worst_allowed_training_neither_slows_predictions_nor_holds_the_slot(workspace, demo_dir, photos):
    env = {**os.environ, **SERVER_LIMITS}
    worst = worst_config(Settings.from_env(env))
    dataset = shutil.make_archive(str(workspace.parent / "demo"), "zip", demo_dir)
    server, url = serve(env)
    try:
        alice, bob = Client(url, verbose=False), Client(url, verbose=False)  # two visitors: two sessions
        for _ in range(2):  # the model is loaded and warm
            alice.predict(handle_file(str(photos["chelsea"])), "imagenet:tf_efficientnet_lite0", 3, api_name="/predict")
        idle = p95(alice, photos["chelsea"])

        heavy = alice.predict(handle_file(dataset), json.dumps(worst), api_name="/start_training")
        submitted = time.time()
        next_run = bob.predict(handle_file(dataset), '{"arch": "lenet5", "epochs": 1}', api_name="/start_training")
        deadline = time.monotonic() + 120
        while alice.predict(heavy, api_name="/run_status").get("batch") is None:
            assert time.monotonic() < deadline, "the worst training did not start its first batch"
            time.sleep(0.5)
        busy = p95(bob, photos["chelsea"])

        status = wait_state(bob, next_run, "queued", CAP_MINUTES * 60 + STOP_GRACE_S + 30)
        heavy_status = alice.predict(heavy, api_name="/run_status")
    finally:
        server.terminate()
        server.wait(30)
        for run in (workspace / "runs").glob("*/"):  # trainings the server left behind
            if pid_alive(pid := RunDir(run).status().get("pid")):
                os.kill(pid, signal.SIGKILL)
    held = RunDir.of(heavy, workspace).status()
    waited = RunDir.of(next_run, workspace).status()["launched"] - submitted
    print(
        f"worst config {worst}: /predict p95 idle {idle:.3f} s, training {busy:.3f} s ({busy / idle:.2f}x); "
        f"the worst run held its slot {held['ended'] - held['launched']:.1f} s, the next visitor's run was launched "
        f"{waited:.1f} s after it was sent (limit {CAP_MINUTES * 60:.0f} s)"
    )
    assert busy <= 3 * idle, f"/predict p95 {busy:.3f} s while training, {idle:.3f} s idle"
    assert heavy_status["state"] == "cancelled" and "CNNAPP_MAX_RUN_MINUTES" in heavy_status["message"]
    assert status["state"] in ("ingesting", "running", "completed"), status  # launched: it left the queue
    assert waited <= CAP_MINUTES * 60 + STOP_GRACE_S
