"""End-to-end: the CLI as a user runs it, on real images."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # every test runs `python -m cnnapp` in a subprocess


def cnnapp(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CNNAPP_THREADS": "2"}
    return subprocess.run([sys.executable, "-m", "cnnapp", *args], capture_output=True, text=True, env=env, timeout=600)


def test_train_predict_runs_end_to_end(demo_dir, workspace):
    out = cnnapp("train", "--data", str(demo_dir), "--arch", "lenet5", "--epochs", "2", "--batch-size", "16")
    assert out.returncode == 0, out.stderr
    run = Path(out.stdout.strip().splitlines()[-1])
    assert run.parent == workspace / "runs"
    for name in (
        "config.json",
        "status.json",
        "metrics.csv",
        "events.jsonl",
        "report.json",
        "labels.json",
        "model.safetensors",
        "ingest.json",
    ):
        assert (run / name).is_file(), name
    status = json.loads((run / "status.json").read_text())
    assert status["state"] == "completed" and status["epoch"] == 2 and status["pid"] > 0
    metrics = pd.read_csv(run / "metrics.csv")
    assert list(metrics.columns) == [
        "epoch",
        "stage",
        "train_loss",
        "train_acc",
        "val_loss",
        "val_acc",
        "lr",
        "seconds",
        "elapsed",
    ]
    assert metrics["epoch"].tolist() == [1, 2]
    report = json.loads((run / "report.json").read_text())
    labels = json.loads((run / "labels.json").read_text())
    assert report["classes"] == labels == sorted(p.name for p in demo_dir.iterdir())
    cm = np.array(report["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == 80 and np.trace(cm) / 80 == pytest.approx(report["val_accuracy"])
    assert len(report["per_class"]) == 10 and "test_accuracy" not in report
    assert json.loads((run / "ingest.json").read_text())["num_images"] == {"train": 320, "val": 80}

    images = [
        str(demo_dir / "bag" / sorted(os.listdir(demo_dir / "bag"))[0]),
        str(demo_dir / "sandal" / sorted(os.listdir(demo_dir / "sandal"))[0]),
    ]
    pred = cnnapp("predict", "--run", str(run), *images, "--top-k", "3")
    assert pred.returncode == 0, pred.stderr
    lines = [json.loads(line) for line in pred.stdout.splitlines()]
    assert [line["image"] for line in lines] == images
    for line in lines:
        probs = [p["prob"] for p in line["predictions"]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True)
        assert all(p["label"] in labels for p in line["predictions"])

    listed = cnnapp("runs", "--format", "json")
    rows = json.loads(listed.stdout)
    assert rows[0]["run_id"] == run.name and rows[0]["state"] == "completed"
    assert rows[0]["best_val_acc"] == pytest.approx(metrics["val_acc"].max())


def test_imagenet_prediction_from_the_cli(photos):
    out = cnnapp("predict", "--arch", "tf_efficientnet_lite0", "--pretrained", str(photos["coffee"]), "--top-k", "2")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["predictions"][0]["label"] == "espresso"


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--data", "/no/such/folder"], "dataset not found"),
        (["--lr-head", "-1"], "lr_head must be a positive number"),
        (["--epochs", "0"], "epochs must be at least 1"),
        (["--arch", "resnet9000"], "unknown architecture"),
        (["--optimizer", "lion"], "unknown optimizer"),
        (["--arch", "alexnet", "--no-pretrained", "--img-size", "16"], "too small for alexnet"),
        (["--augment", "sparkles"], "unknown augmentation"),
    ],
)
def test_bad_input_gives_one_line_error(demo_dir, args, expected):
    base = ["--data", str(demo_dir), "--arch", "lenet5"]
    out = cnnapp("train", *base, *args)
    assert out.returncode != 0
    assert expected in out.stderr
    assert "Traceback" not in out.stderr
    assert len([line for line in out.stderr.splitlines() if line.startswith("error:")]) >= 1


def test_training_is_deterministic_for_a_seed(small_dataset):
    metrics = []
    for _ in range(2):
        out = cnnapp(
            "train", "--data", str(small_dataset), "--arch", "lenet5", "--epochs", "2", "--seed", "3", "--quiet"
        )
        assert out.returncode == 0, out.stderr
        metrics.append(
            pd.read_csv(Path(out.stdout.strip().splitlines()[-1]) / "metrics.csv").drop(columns=["seconds", "elapsed"])
        )
    pd.testing.assert_frame_equal(*metrics)


def test_json_config_file_and_cli_override(small_dataset, tmp_path):
    config = tmp_path / "cfg.json"
    config.write_text(json.dumps({"arch": "lenet5", "epochs": 3, "batch-size": 8, "data": str(small_dataset)}))
    out = cnnapp("train", "--config", str(config), "--epochs", "1", "--quiet", "--run-dir", str(tmp_path / "myrun"))
    assert out.returncode == 0, out.stderr
    cfg = json.loads((tmp_path / "myrun" / "config.json").read_text())
    assert cfg["epochs"] == 1 and cfg["batch_size"] == 8 and cfg["pretrained"] is False and cfg["freeze"] is False
