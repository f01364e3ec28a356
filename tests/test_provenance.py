"""Runs have names and provenance; settings that cannot work are refused before queueing; a stop is no error."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cnnapp import api
from cnnapp.errors import ConfigError
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import list_runs
from cnnapp.training import provenance
from cnnapp.training.config import TrainConfig, resolve


@pytest.fixture
def jobs(workspace: Path):
    manager = JobManager(workspace, threads=1, stop_timeout=5, term_timeout=5)
    yield manager
    manager.shutdown(timeout=5)


def test_pretrained_resnet18_offline_is_refused_before_queueing_in_the_users_words(jobs, small_dataset, workspace):
    with pytest.raises(ConfigError) as err:
        jobs.submit({"data": str(small_dataset), "arch": "resnet18", "pretrained": True})
    message = str(err.value)
    assert message.startswith("no ImageNet weights available offline for ResNet-18")
    assert "EfficientNet-Lite0" in message and "--" not in message
    assert list_runs(workspace).empty, "a run was queued although it could not work"
    assert resolve(TrainConfig(data="d", arch="resnet18")).pretrained is False, "the default must be what can work"


@pytest.mark.slow  # a real training process
def test_a_run_records_its_name_and_dataset(jobs, small_dataset):
    blocker = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 200})
    named = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "name": "  my  first\nrun "})
    plain = jobs.submit({"data": str(small_dataset)}, dataset_name="shapes.zip")
    assert jobs.position(named.id) == 1 and jobs.position(plain.id) == 2 and jobs.position(blocker.id) is None
    assert named.status()["name"] == "my first run"
    assert plain.status()["name"] == "EfficientNet-Lite0 · shapes.zip · frozen"
    dataset = plain.status()["dataset"]
    assert dataset["name"] == "shapes.zip" and dataset["files"] == 36 and len(dataset["sha256"]) == 64
    assert dataset["bytes"] == sum(p.stat().st_size for p in small_dataset.rglob("*") if p.is_file())
    assert provenance.fingerprint(small_dataset)["sha256"] == dataset["sha256"]
    (small_dataset / "bag" / "new.txt").write_text("x")
    assert provenance.fingerprint(small_dataset)["sha256"] != dataset["sha256"], "the hash must follow the content"
    assert dataset["hashed"] == "contents"
    rows = {r["run_id"]: r for r in api.list_runs(jobs.root)}
    assert rows[plain.id]["name"] == plain.status()["name"] and rows[plain.id]["dataset"] == "shapes.zip"
    assert api.run_status(named.id, jobs.root)["name"] == "my first run"
    assert provenance.rename(named, "") == "LeNet-5 · small · from scratch"
    assert named.status()["name_code"]["params"]["mode"] == {"code": "mode.scratch", "params": {}}
    assert provenance.rename(named, "kept") == "kept" and named.status()["name"] == "kept"
    assert named.status()["name_code"] is None, "a typed name is said as typed"
    with pytest.raises(ConfigError, match="keep it under"):
        provenance.rename(named, "x" * 200)


def test_a_big_dataset_is_hashed_from_file_metadata_not_read(small_dataset, monkeypatch):
    by_content = provenance.fingerprint(small_dataset)
    picture = next((small_dataset / "bag").iterdir())
    stat = picture.stat()
    picture.write_bytes(bytes(reversed(picture.read_bytes())))  # other content, same size and time
    os.utime(picture, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert provenance.fingerprint(small_dataset)["sha256"] != by_content["sha256"]
    monkeypatch.setattr(provenance, "CONTENT_BUDGET", by_content["bytes"] - 1)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read"))
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: pytest.fail(f"{self} was opened"))
    big = provenance.fingerprint(small_dataset)
    assert big["hashed"] == "names, sizes and times" and big["bytes"] == by_content["bytes"]
    assert provenance.fingerprint(small_dataset)["sha256"] == big["sha256"], "the same files, the same identity"
    os.utime(picture, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert provenance.fingerprint(small_dataset)["sha256"] != big["sha256"], "a changed file changes the identity"


@pytest.mark.slow  # a real training process
def test_a_stop_is_reported_as_a_stop_not_an_error(jobs, demo_dir):
    run = jobs.submit({"data": str(demo_dir), "arch": "lenet5", "epochs": 200, "batch_size": 8})
    deadline = time.monotonic() + 120
    while run.status().get("state") != "running" or not run.metrics().shape[0]:
        assert time.monotonic() < deadline, "the run never finished an epoch"
        time.sleep(0.2)
    jobs.stop(run.id)
    assert jobs.wait(run.id, 60)["state"] == "cancelled"
    log = run.log_tail(20)
    assert "run stopped: stopped on request" in log and "error:" not in log
