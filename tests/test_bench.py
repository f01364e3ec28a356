"""The benchmark harness works (figures, table, JSON, skips, process measurements, the user's clock) and real
benchmarks run end to end."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import peer, procs, serving, userclock
from bench.harness import Figure, Skip, interleaved_rates, read_json, table, write_json
from cnnapp.runs import RunDir


def test_figures_table_and_json(tmp_path):
    figures = [Figure("fast", 2.0, 1.8, ">=", detail={"img/s": 512.0}), Figure("slow_s", 9.5, 8, "<=", " s")]
    assert [f.passed for f in figures] == [True, False]
    text = table(figures)
    assert "fast" in text and "pass" in text and "FAIL" in text and "img/s 512" in text
    write_json(figures, tmp_path / "b.json", {"quick": True})
    data = json.loads((tmp_path / "b.json").read_text())
    assert data["figures"] == {"fast": 2.0, "slow_s": 9.5} and data["details"]["slow_s"]["passed"] is False


def test_interleaved_rates_counts_items_per_second():
    rates = interleaved_rates({"a": lambda: 10, "b": lambda: 20}, rounds=3)
    assert rates["b"] > rates["a"] > 0


@pytest.mark.slow
def test_predict_overhead_benchmark_runs():
    (figure,) = serving.predict_overhead(quick=True)
    assert figure.key == "predict_overhead" and figure.value > 0
    assert figure.detail["end-to-end ms"] >= figure.detail["forward ms"] * 0.5


def test_write_json_records_skipped_benchmarks(tmp_path):
    write_json([], tmp_path / "b.json", {"quick": True}, {"peer.scratch": "fastai is not installed"})
    assert json.loads((tmp_path / "b.json").read_text())["skipped"] == {"peer.scratch": "fastai is not installed"}


def test_fastai_comparison_skips_with_a_clear_line_without_fastai(tmp_path, monkeypatch):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 2.8.11\n")
    fake.chmod(0o755)
    for python, found in ((fake, "has fastai 2.8.11"), (tmp_path / "missing", "has no importable fastai")):
        monkeypatch.setenv("CNNAPP_BENCH_FASTAI_PYTHON", str(python))
        peer.fastai_python.cache_clear()
        with pytest.raises(Skip, match=f"fastai 2.8.12 is needed .*{found}.*pip install '.\\[bench\\]'"):
            peer.scratch(quick=True)
    peer.fastai_python.cache_clear()


def test_time_to_the_same_accuracy_is_each_runs_first_epoch_at_the_lowest_best():
    ours = [[(2.0, 0.70), (3.0, 0.86), (4.0, 0.88)], [(2.2, 0.71), (3.4, 0.87)]]
    theirs = [[(5.0, 0.80), (9.0, 0.86)], [(6.0, 0.79), (8.0, 0.85)]]
    target, ours_s, theirs_s = peer.to_same_accuracy(ours, theirs)
    assert target == 0.85  # the lowest best of all runs: every run reaches it
    assert (ours_s, theirs_s) == (3.2, 8.5)


def test_follow_times_a_run_from_the_click_as_the_app_sees_it(tmp_path):
    run = RunDir.create("lenet5", tmp_path)
    clicked = time.time()
    run.update_status(state="running")
    run.log_event({"t": time.time(), "batch": 1, "batches": 3})
    run.append_metrics({"epoch": 1, "val_acc": 0.5, "seconds": 0.1, "elapsed": 0.1})
    run.append_metrics({"epoch": 2, "val_acc": 0.9, "seconds": 0.1, "elapsed": 0.2})
    run.update_status(state="completed", message="completed")
    marks = userclock.follow(run, clicked, timeout=10)
    assert marks["state"] == "completed" and marks["best_val_acc"] == 0.9
    assert 0 <= marks["first_batch_s"] <= marks["target_s"] <= marks["ended_s"] < 5
    late = userclock.follow(run, clicked, timeout=10, target=0.95)
    assert "target_s" not in late


def test_app_defaults_are_what_the_train_tab_submits():
    from cnnapp.training.config import TrainConfig, resolve

    values = userclock.app_defaults()
    assert Path(values["data"]).is_dir() and values["img_size"] == 128 and values["freeze"] is True
    assert resolve(TrainConfig.from_dict(values)).pretrained


def test_run_measured_reports_the_childs_own_peak_memory():  # not this (large) test process's
    grow = "import numpy, time; a = numpy.ones(300_000_000 // 8); time.sleep(0.5)"
    done = procs.run_measured([sys.executable, "-c", grow], timeout=60)
    idle = procs.run_measured([sys.executable, "-c", "pass"], timeout=60)
    assert done.code == 0 and idle.code == 0
    assert done.peak_rss_bytes > 300e6 > idle.peak_rss_bytes


def test_terminate_tree_ends_what_the_process_started():
    proc = subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60"])
    deadline = time.time() + 10
    while len(procs.descendants(proc.pid)) < 2 and time.time() < deadline:
        time.sleep(0.05)
    below = procs.descendants(proc.pid)
    assert len(below) == 2
    procs.terminate_tree(proc)
    assert proc.poll() is not None
    assert not [pid for pid in below if procs.is_running(pid)]


def test_settle_waits_while_a_child_works_and_returns_once_the_tree_is_idle():
    busy = subprocess.Popen([sys.executable, "-c", "import time\nwhile time.process_time() < 0.8: pass"])
    try:
        waited = procs.settle(quiet_s=1.0, timeout=30)
    finally:
        busy.wait()
    assert 2.0 <= waited < 30  # at least one busy window, then one quiet one


@pytest.mark.slow
def test_fullsize_training_process_times_its_phases_and_memory():
    from bench import fullsize
    from bench.fixtures import fashion_full

    r = fullsize._train({"data": str(fashion_full(6)), "arch": "lenet5", "epochs": 1}, timeout=300)
    assert (r["train"], r["val"], r["test"]) == (50, 10, 60) and r["images"] == 120
    assert r["prepare_s"] > 0 and r["features_s"] is None
    assert 0 <= r["test_acc"] <= 1 and r["epochs"] == 1
    assert 50e6 < r["peak_rss_gb"] * 1e9 < 4e9 and r["total_s"] > r["fit_s"]


@pytest.mark.slow
def test_fastai_side_trains_the_recipe_from_cnnapps_initial_weights():
    try:
        python = peer.fastai_python()
    except Skip as reason:
        pytest.skip(str(reason))
    recipe = peer._recipe("lenet5", 28, (4, 2), 0, 2)
    recipe["weights"] = peer._initial_weights("lenet5", False)
    epochs = peer._fastai_epochs(python, recipe, threads=1)
    assert len(epochs) == 2 and 0 < epochs[0][0] < epochs[1][0] and all(0 <= acc <= 1 for _, acc in epochs)


@pytest.mark.slow
def test_server_side_time_of_one_predict_on_a_live_app_and_nothing_left_running():
    import os

    photo = serving._photo()
    with serving.live_app() as url:
        seconds = [serving.server_side_s(url, photo, "imagenet:tf_efficientnet_lite0") for _ in range(3)]
        started = procs.descendants(os.getpid())
    assert 0 < min(seconds) < 0.25, f"a warm /predict took {seconds} s of the server's time (the bench's: ~10 ms)"
    assert started and not [pid for pid in started if procs.is_running(pid)]


@pytest.mark.slow
def test_cnnapp_reaches_the_same_accuracy_as_fastai_sooner_from_scratch():
    """The README's fastai comparison in the small form CI runs (it installs the bench extra): LeNet-5, 1,000 train
    images, 2 epochs, each side three times alternated (the median: one slow round under other load does not decide);
    the goal (cnnapp no slower) has a wide margin over the ratio measured on an idle machine (0.7)."""
    try:
        peer.fastai_python()
    except Skip as reason:
        pytest.skip(str(reason))
    (figure,) = peer.scratch(quick=True)
    assert figure.key == "vs_fastai_scratch" and figure.detail["fastai s"] > 0
    assert figure.passed, f"cnnapp took {figure.value:.2f}× fastai's time: {figure.detail}"


def test_the_json_reads_back_as_the_figures_that_were_written(tmp_path):
    figures = [Figure("fast", 2.0, 1.8, ">=", detail={"img/s": 512.0}), Figure("slow_s", 9.5, 8, "<=", " s")]
    write_json(figures, tmp_path / "b.json", {"quick": True}, {"peer.scratch": "no fastai"})
    assert read_json(tmp_path / "b.json") == ({"quick": True}, {"peer.scratch": "no fastai"}, figures)
