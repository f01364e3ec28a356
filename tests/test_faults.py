"""Bad settings and faults: NaN loss, huge batches, write errors, out of memory, kill -9 and resume."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cnnapp.runs import RunDir, list_runs
from cnnapp.serving.inference import Predictor
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.train import Training, train


def cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cnnapp", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CNNAPP_THREADS": "2"},
        **kwargs,
    )


def test_batch_larger_than_the_dataset_works(small_dataset):
    run, status = train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=2, batch_size=1000), progress=False)
    assert status["state"] == "completed" and len(run.metrics()) == 2


def test_nan_loss_fails_the_run_with_advice(small_dataset, tmp_path):
    """A rate over LR_MAX is refused before a run exists; one that gets past (a stored config edited by hand, which a
    queued run trains as is) makes the loss NaN, and the run fails with the advice."""
    cfg = resolve(TrainConfig(data=str(small_dataset), arch="lenet5", optimizer="sgd", epochs=2))
    cfg.lr_head = cfg.lr_backbone = 1e6
    status = Training(cfg, RunDir.create("x", path=tmp_path / "run"), progress=False).execute()
    assert status["state"] == "failed" and "lower the learning rate" in status["message"]


def test_write_error_fails_the_run_clearly(small_dataset, tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "metrics.csv").mkdir(parents=True)
    _, status = train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=1), run_dir, progress=False)
    assert status["state"] == "failed" and "could not read or write files" in status["message"]


@pytest.mark.slow
def test_out_of_memory_fails_the_run_clearly(demo_dir, monkeypatch):
    monkeypatch.setenv("CNNAPP_MAX_TRAIN_MEMORY", str(2**50))  # past the estimate that would refuse this config

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (12 * 1024**3, 12 * 1024**3))

    proc = cli(
        "train",
        "--data",
        str(demo_dir),
        "--arch",
        "resnet50",
        "--no-pretrained",
        "--img-size",
        "512",
        "--batch-size",
        "256",
        "--epochs",
        "1",
        "--quiet",
        preexec_fn=limit,
    )
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 1
    status = json.loads((Path(out.strip().splitlines()[-1]) / "status.json").read_text())
    assert status["state"] == "failed" and status["message"].startswith("out of memory: lower --batch-size")
    assert "Traceback" not in err


@pytest.mark.slow
def test_kill_minus_nine_then_list_predict_and_resume(demo_dir, tmp_path, workspace, wait_for):
    run = RunDir(workspace / "runs" / "killed")
    proc = cli(
        "train",
        "--data",
        str(demo_dir),
        "--arch",
        "tf_efficientnet_lite0",
        "--no-freeze",
        "--img-size",
        "64",
        "--epochs",
        "3",
        "--quiet",
        "--run-dir",
        str(run.path),
    )
    wait_for(lambda: len(run.metrics()) >= 1 and (run.last_event() or {}).get("epoch") == 2, 300, "epoch 2 to start")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert run.status()["state"] == "running"
    listed = subprocess.run(
        [sys.executable, "-m", "cnnapp", "runs", "--format", "json"], capture_output=True, text=True, check=True
    )
    row = next(r for r in json.loads(listed.stdout) if r["run_id"] == "killed")
    assert row["state"] == "interrupted" and "ended without finishing" in row["message"]
    assert list_runs().set_index("run_id").loc["killed", "state"] == "interrupted"

    (label, prob), *_ = Predictor.from_run(run).predict([next((demo_dir / "bag").iterdir())], top_k=3)[0]
    assert label in run.labels() and 0 < prob <= 1

    resumed = subprocess.run(
        [sys.executable, "-m", "cnnapp", "train", "--resume", str(run.path), "--quiet"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from stage 1, epoch 2" in resumed.stderr
    assert run.status()["state"] == "completed"
    assert run.metrics()["epoch"].tolist() == [1, 2, 3]


@pytest.mark.slow
def test_sigterm_stops_gracefully_with_a_checkpoint(demo_dir, workspace, wait_for):
    run = RunDir(workspace / "runs" / "stopped")
    proc = cli(
        "train",
        "--data",
        str(demo_dir),
        "--arch",
        "lenet5",
        "--epochs",
        "200",
        "--batch-size",
        "8",
        "--quiet",
        "--run-dir",
        str(run.path),
    )
    wait_for(lambda: len(run.metrics()) >= 1, 300, "the first epoch")
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    status = run.status()
    assert status["state"] == "cancelled" and "checkpoint" in status["message"]
    assert run.file("checkpoint.pt").is_file() and run.file("model.safetensors").is_file() and run.report()


def test_a_stop_while_the_model_is_built_or_downloaded_ends_the_run_at_once(small_dataset, workspace, monkeypatch):
    """Stopping a run that was downloading its weights needed SIGKILL: the loops that look at the stop flag had not
    started. SIGTERM before them now stops the run at once (nothing to save yet)."""
    import threading
    import time

    from cnnapp.training import learner

    def slow_download(self, *args, **kwargs):
        time.sleep(60)  # as the hub's retries do offline

    monkeypatch.setattr(learner.Learner, "build", slow_download)
    before = signal.getsignal(signal.SIGTERM)
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    run, status = train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=1), progress=False)
    assert time.monotonic() - started < 20
    assert status["state"] == "cancelled" and run.status()["state"] == "cancelled"
    assert signal.getsignal(signal.SIGTERM) is before, "the handler was put back"
