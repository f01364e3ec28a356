"""A full disk: the server keeps listing and reporting runs, refuses new ones up front without leaving folders behind,
and a training that runs out of space fails with a message that says so."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from cnnapp import api, runs
from cnnapp.errors import DISK_FULL_MESSAGE, LimitError
from cnnapp.jobs import sessions
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import RunDir
from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train


def no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_runs_are_listed_and_reported_while_their_status_cannot_be_written(monkeypatch, workspace):
    run = RunDir.create("lenet5", workspace)
    run.update_status(state="running", pid=2**22 + 12345, created=time.time(), epoch=1, epochs=5, message="epoch 1/5")
    monkeypatch.setattr(runs, "write_json", no_space)
    for _ in range(2):  # the trainer died: every reader sees it, though the disk takes nothing
        assert [(r["run_id"], r["state"]) for r in api.list_runs(workspace)] == [(run.id, "interrupted")]
        assert api.run_status(run.id, workspace)["state"] == "interrupted"
    monkeypatch.undo()
    assert api.run_status(run.id, workspace)["state"] == "interrupted"
    assert '"interrupted"' in run.file("status.json").read_text()  # written once the disk had room


def test_no_run_is_queued_or_left_half_made_on_a_full_disk(monkeypatch, workspace, demo_dir):
    jobs = JobManager(workspace)
    values = {"data": str(demo_dir), "arch": "lenet5", "epochs": 1}
    monkeypatch.setenv("CNNAPP_MIN_FREE_DISK", str(10**15))
    with pytest.raises(LimitError, match=r"the disk is full \(.* MiB free, this server needs .* CNNAPP_MIN_FREE_DISK"):
        jobs.submit(values)
    monkeypatch.setenv("CNNAPP_MIN_FREE_DISK", "0")
    monkeypatch.setattr(TrainConfig, "save", no_space)  # the run folder is made, its first file fails
    with pytest.raises(LimitError, match=DISK_FULL_MESSAGE):
        jobs.submit(values)
    assert sessions.all_runs(workspace) == [] and list((workspace / "runs").iterdir()) == []


def test_a_training_that_runs_out_of_space_says_so(monkeypatch, workspace, small_dataset):
    def safetensors_full(*_args, **_kwargs):
        raise RuntimeError(
            "Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: ... (os error 28)"
        )

    monkeypatch.setattr("safetensors.torch.save_file", safetensors_full)
    _, status = train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=1, batch_size=8), progress=False)
    assert status["state"] == "failed" and status["message"].startswith(DISK_FULL_MESSAGE)


@pytest.fixture
def tiny_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A 30 MB tmpfs as the workspace (needs root and mount; skipped elsewhere)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=30m", "tmpfs", str(folder)]).returncode:
        pytest.skip("mounting a small tmpfs needs root")
    monkeypatch.setenv("CNNAPP_HOME", str(folder))
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)])


@pytest.mark.slow
def test_a_real_full_disk(monkeypatch, tiny_disk, demo_dir):
    monkeypatch.setenv("CNNAPP_MIN_FREE_DISK", "0")
    jobs = JobManager(tiny_disk, threads=1)
    try:
        (tiny_disk / "filler").write_bytes(b"0" * (shutil.disk_usage(tiny_disk).free - 400_000))
        run = jobs.submit({"data": str(demo_dir), "arch": "lenet5", "epochs": 100, "batch_size": 16})
        jobs.wait(run.id, timeout=180)
        deadline = time.monotonic() + 20  # the manager records the process's end
        while run.id in jobs._processes and time.monotonic() < deadline:
            time.sleep(0.2)
        status = api.run_status(run.id, tiny_disk)
        assert status["state"] == "failed" and status["message"].startswith(DISK_FULL_MESSAGE), status["message"]
        assert [r["state"] for r in api.list_runs(tiny_disk)] == ["failed"]
        monkeypatch.setenv("CNNAPP_MIN_FREE_DISK", str(100 * 1024**2))
        with pytest.raises(LimitError, match="the disk is full"):
            jobs.submit({"data": str(demo_dir), "arch": "lenet5", "epochs": 1})
        assert [r.id for r in sessions.all_runs(tiny_disk)] == [run.id]
    finally:
        jobs.shutdown(timeout=10)
