"""The HTTP API against a live server, with gradio_client: train over HTTP, predict, and bad arguments."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import torch
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from cnnapp import api
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import RunDir
from cnnapp.serving.inference import MODELS, load_predictor

pytestmark = pytest.mark.slow  # a live server

IMAGENET = "imagenet:tf_efficientnet_lite0"


@pytest.fixture
def client(live_app) -> Client:
    """An API client of the live app."""
    return live_app.client


def zip_folder(folder: Path, target: Path) -> Path:
    return Path(shutil.make_archive(str(target.with_suffix("")), "zip", folder.parent, folder.name))


def status_of(client: Client, run_id: str) -> dict:
    return client.predict(run_id, api_name="/run_status")


def test_the_endpoints_are_named(client):
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {
        "/start_training",
        "/compare",
        "/resume_training",
        "/stop_training",
        "/run_status",
        "/predict",
        "/predict_batch",
        "/list_runs",
    }


def test_upload_train_and_predict_over_http(live_app, client, small_dataset, tmp_path, demo_dir):
    archive = zip_folder(small_dataset, tmp_path / "small.zip")
    config = json.dumps({"arch": "lenet5", "epochs": 2, "batch-size": 8})
    run_id = client.predict(dataset=handle_file(archive), config=config, api_name="/start_training")
    first = status_of(client, run_id)
    assert first["state"] in ("queued", "ingesting", "running") and first["epochs"] == 2 and first["message"]

    status = live_app.wait_until_finished(run_id)
    assert status["state"] == "completed", status["message"]
    assert status["epoch"] == status["epochs"] == 2 and status["message"].startswith("completed")
    assert [row["epoch"] for row in status["metrics"]] == [1, 2]
    assert all(0 <= row["val_acc"] <= 1 for row in status["metrics"])
    assert status["best_val_acc"] == pytest.approx(max(row["val_acc"] for row in status["metrics"]))

    runs = client.predict(api_name="/list_runs")
    assert [(r["run_id"], r["state"], r["arch"]) for r in runs] == [(run_id, "completed", "lenet5")]

    image = sorted((demo_dir / "trouser").iterdir())[-1]
    result = client.predict(image=handle_file(image), model=run_id, top_k=3, api_name="/predict")
    labels = [c["label"] for c in result["confidences"]]
    assert len(labels) == 3 and set(labels) == {"bag", "sandal", "trouser"}
    assert result["label"] == labels[0]
    probs = [c["confidence"] for c in result["confidences"]]
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1, abs=1e-3)


def test_a_run_started_over_http_takes_its_name_from_the_config(live_app, client, small_dataset, tmp_path):
    archive = zip_folder(small_dataset, tmp_path / "small.zip")
    with pytest.raises(AppError, match="keep it under 80"):  # checked before the upload is opened
        client.predict(handle_file(archive), json.dumps({"name": "x" * 81}), api_name="/start_training")
    assert client.predict(api_name="/list_runs") == []
    config = json.dumps({"name": "  my\nfirst run ", "arch": "lenet5", "epochs": 1, "batch_size": 8})
    run_id = client.predict(dataset=handle_file(archive), config=config, api_name="/start_training")
    assert status_of(client, run_id)["name"] == "my first run"
    assert [(r["run_id"], r["name"]) for r in client.predict(api_name="/list_runs")] == [(run_id, "my first run")]
    assert live_app.wait_until_finished(run_id)["state"] == "completed"
    assert "name" not in RunDir(live_app.jobs.root / "runs" / run_id).config(), "a name is the run's, not a setting"


def test_imagenet_prediction_over_http(client, photos):
    result = client.predict(
        image=handle_file(photos["coffee"]), model="imagenet:tf_efficientnet_lite0", top_k=2, api_name="/predict"
    )
    assert result["label"] == "espresso" and len(result["confidences"]) == 2


def test_bad_arguments_get_clear_errors_and_the_server_keeps_serving(
    live_app, client, small_dataset, tmp_path, workspace
):
    archive = zip_folder(small_dataset, tmp_path / "small.zip")
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("hello")
    fake_zip = tmp_path / "fake.zip"
    fake_zip.write_text("this is not a zip")
    one_class = tmp_path / "one"
    shutil.copytree(small_dataset / "bag", one_class / "bag")
    one_class_zip = zip_folder(one_class, tmp_path / "one.zip")
    broken_image = tmp_path / "broken.png"
    broken_image.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    image = next((small_dataset / "bag").iterdir())

    cases = [
        ("/run_status", {"run_id": "20990101-000000-none-0000"}, "no run named"),
        ("/run_status", {"run_id": "../../etc"}, "not a valid run id"),
        ("/start_training", {"dataset": handle_file(archive), "config": "{arch: lenet5"}, "not valid JSON"),
        ("/start_training", {"dataset": handle_file(archive), "config": "[1, 2]"}, "JSON object"),
        (
            "/start_training",
            {"dataset": handle_file(archive), "config": '{"arch": "lenet5", "epoch": 2}'},
            "unknown option 'epoch'",
        ),
        (
            "/start_training",
            {"dataset": handle_file(archive), "config": '{"arch": "lenet5", "epochs": 0}'},
            "epochs must be at least 1",
        ),
        ("/start_training", {"dataset": handle_file(archive), "config": '{"arch": "nonet"}'}, "unknown architecture"),
        (
            "/start_training",
            {"dataset": handle_file(archive), "config": '{"data": "/etc"}'},
            "cannot be set through the API",
        ),
        ("/start_training", {"dataset": None, "config": "{}"}, "no dataset"),
        ("/start_training", {"dataset": handle_file(not_zip), "config": "{}"}, "'notes.txt' is not a zip archive"),
        ("/start_training", {"dataset": handle_file(fake_zip), "config": "{}"}, "not a zip archive"),
        (
            "/predict",
            {"image": handle_file(broken_image), "model": "imagenet:tf_efficientnet_lite0", "top_k": 3},
            "not a valid image",
        ),
        (
            "/predict",
            {"image": handle_file(image), "model": "imagenet:no_such_net", "top_k": 3},
            "unknown architecture",
        ),
        ("/predict", {"image": handle_file(image), "model": "20990101-000000-none-0000", "top_k": 3}, "no run named"),
        ("/predict", {"image": handle_file(image), "model": "", "top_k": 3}, "no model given"),
        (
            "/predict",
            {"image": handle_file(image), "model": "imagenet:tf_efficientnet_lite0", "top_k": 0},
            "top_k must be at least 1",
        ),
    ]
    for endpoint, kwargs, message in cases:
        with pytest.raises(AppError) as caught:
            client.predict(**kwargs, api_name=endpoint)
        assert message in str(caught.value), (endpoint, kwargs, str(caught.value))
        assert "Traceback" not in str(caught.value)
    assert client.predict(api_name="/list_runs") == []
    assert not (workspace / "runs").exists() or not any((workspace / "runs").iterdir())

    # a zip whose content is unusable is found out by the training, which fails with the reason
    run_id = client.predict(dataset=handle_file(one_class_zip), config="{}", api_name="/start_training")
    status = live_app.wait_until_finished(run_id, client)
    assert status["state"] == "failed" and "at least two class folders" in status["message"], status
    report = json.loads((workspace / "runs" / run_id / "ingest.json").read_text())
    assert report["classes"] == ["bag"] and report["source"].endswith("one.zip")


def test_hostile_configs_are_refused_before_the_upload_is_opened(client, small_dataset, tmp_path, workspace):
    archive = zip_folder(small_dataset, tmp_path / "small.zip")
    image = next((small_dataset / "bag").iterdir())
    cases = [
        ('{"workers": 1000}', "(set by CNNAPP_MAX_WORKERS)"),
        ('{"arch": "lenet5", "epochs": 1e12}', "epochs 1000000000000 is over this server's limit of 200"),
        (json.dumps({"arch": "lenet5", "seed": 2**70}), f"seed must be between 0 and {2**32 - 1}"),
        ('{"arch": "lenet5", "epochs": true}', "epochs must be int (a whole number), got True"),
        ('{"arch": "lenet5", "batch_size": 100000}', "(set by CNNAPP_MAX_BATCH_SIZE)"),
        ("[" * 5000 + "]" * 5000, "nests deeper than 8 levels"),
    ]
    if not torch.cuda.is_available():
        cases.append(('{"arch": "lenet5", "device": "cuda"}', "no CUDA GPU"))
    for config, message in cases:
        with pytest.raises(AppError) as caught:
            client.predict(dataset=handle_file(archive), config=config, api_name="/start_training")
        assert message in str(caught.value) and "Traceback" not in str(caught.value), (config, str(caught.value))
    for top_k, message in [
        ("abc", "top_k must be a whole number, got 'abc'"),
        (2.5, "whole number"),
        (0, "at least 1"),
    ]:
        with pytest.raises(AppError, match=message):
            client.predict(image=handle_file(image), model="imagenet:lenet5", top_k=top_k, api_name="/predict")
    assert client.predict(api_name="/list_runs") == []
    assert not (workspace / "runs").exists() and not (workspace / "datasets").exists()


def test_undecodable_images_get_one_line_over_http(client, tmp_path):
    from test_limits import tiff_without_width, truncated_gif

    for bad in (truncated_gif(tmp_path / "cut.gif"), tiff_without_width(tmp_path / "nowidth.tif")):
        with pytest.raises(AppError) as caught:
            client.predict(image=handle_file(bad), model=IMAGENET, top_k=1, api_name="/predict")
        assert "truncated or corrupt image" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.slow
def test_a_run_can_be_stopped_and_its_status_stays_small(live_app, client, small_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr("cnnapp.api.STATUS_EPOCHS", 2)
    archive = zip_folder(small_dataset, tmp_path / "small.zip")
    config = json.dumps({"arch": "lenet5", "epochs": 4, "batch_size": 8})
    run_id = client.predict(dataset=handle_file(archive), config=config, api_name="/start_training")
    assert live_app.wait_until_finished(run_id, client)["state"] == "completed"
    assert [row["epoch"] for row in status_of(client, run_id)["metrics"]] == [3, 4]
    every = client.predict(run_id, True, api_name="/run_status")["metrics"]
    assert [row["epoch"] for row in every] == [1, 2, 3, 4]

    config = json.dumps({"arch": "lenet5", "epochs": 200, "batch_size": 8})
    long_id = client.predict(dataset=handle_file(archive), config=config, api_name="/start_training")
    deadline = time.monotonic() + 120
    while status_of(client, long_id)["epoch"] < 1 and time.monotonic() < deadline:
        time.sleep(0.3)
    said = client.predict(long_id, api_name="/stop_training")
    assert "stopping after the current batch" in said
    status = live_app.wait_until_finished(long_id, client, timeout=60)
    assert status["state"] == "cancelled" and status["epoch"] < 200
    with pytest.raises(AppError, match="not running"):
        client.predict(long_id, api_name="/stop_training")
    with pytest.raises(AppError, match="no run named"):
        client.predict("20990101-000000-none-0000", api_name="/stop_training")


def test_start_returns_at_once_and_the_training_ingests_with_progress(workspace, fashion_2000, tmp_path):
    archive = zip_folder(fashion_2000, tmp_path / "fm.zip")
    jobs = JobManager(workspace, threads=1, warm_trainer=True)
    try:
        jobs.prestart(wait=120)
        started = time.perf_counter()
        run_id = api.start_training(jobs, str(archive), '{"arch": "lenet5", "epochs": 1, "img_size": 28}')
        took = time.perf_counter() - started
        seen = []
        while (status := api.run_status(run_id, workspace))["state"] in ("queued", "ingesting", "running"):
            seen.append(status)
            time.sleep(0.05)
        assert status["state"] == "completed", status["message"]
        ingesting = [s for s in seen if s["state"] == "ingesting" and s.get("files_total")]
        assert ingesting, "the run was never seen reading its dataset"
        assert all(s["files_total"] == 2000 and "files checked" in s["message"] for s in ingesting)
        assert took < 1.5, f"/start_training took {took:.2f} s"
        assert RunDir(workspace / "runs" / run_id).config()["data"].endswith("fm.zip")
    finally:
        jobs.shutdown(timeout=5)


def test_concurrent_predictions_share_forward_passes_and_each_caller_gets_its_own_answer(
    client, workspace, demo_dir, photos, monkeypatch
):
    from conftest import trained_demo_run

    run = trained_demo_run(workspace)
    calls = []
    for name in ("bag", "trouser", "sandal", "dress"):
        calls.append((sorted((demo_dir / name).iterdir())[-1], run.id, 3))
    calls += [
        (photos["coffee"], "imagenet:tf_efficientnet_lite0", 2),
        (photos["chelsea"], "imagenet:tf_efficientnet_lite0", 1),
    ]
    calls = calls * 3
    for model in (run.id, "imagenet:tf_efficientnet_lite0"):
        load_predictor(model, workspace).speed_up()  # as the app soon does: answers one at a time and together match
    expected = [api.predict(image, model, k, workspace) for image, model, k in calls]  # one at a time

    passes = []
    for model in (run.id, "imagenet:tf_efficientnet_lite0"):
        batcher = load_predictor(model, workspace).batcher
        forward = batcher.forward

        def slow(arrays, forward=forward):  # slow passes: concurrent callers pile up and must share them
            passes.append(len(arrays))
            time.sleep(0.3)
            return forward(arrays)

        monkeypatch.setattr(batcher, "forward", slow)
    jobs = [
        client.submit(image=handle_file(image), model=model, top_k=k, api_name="/predict") for image, model, k in calls
    ]
    answers = [job.result(timeout=120) for job in jobs]
    for answer, want in zip(answers, expected):
        assert answer["label"] == max(want, key=want.get)
        assert {c["label"]: c["confidence"] for c in answer["confidences"]} == pytest.approx(want, abs=1e-4)
    assert sum(passes) == len(calls) and len(passes) < len(calls), f"no pass was shared: {passes}"


def test_the_model_cache_keeps_the_most_recently_used_within_its_bounds(workspace, monkeypatch):
    from conftest import trained_demo_run

    first = trained_demo_run(workspace)
    second = RunDir(workspace / "runs" / "copy")
    shutil.copytree(first.path, second.path)
    MODELS.clear()
    monkeypatch.setenv("CNNAPP_MODEL_CACHE", "2")
    for model in (first.id, second.id, first.id):
        load_predictor(model, workspace)
    assert [Path(k).name for k in MODELS.names()] == [second.id, first.id]
    assert load_predictor(first.id, workspace) is load_predictor(first.id, workspace)
    monkeypatch.setenv("CNNAPP_MODEL_CACHE_MEMORY", "1kb")  # smaller than one model: only the newest is kept
    load_predictor(second.id, workspace)
    assert [Path(k).name for k in MODELS.names()] == [second.id]
