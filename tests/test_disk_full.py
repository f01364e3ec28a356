"""A full disk: the server keeps listing and reporting runs, refuses new ones up front without leaving folders behind,
and a training that runs out of space fails with a message that says so."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
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


ROOT = Path(__file__).resolve().parents[1]
IN_NAMESPACE = "CNNAPP_TEST_IN_NAMESPACE"  # set for the run of this test inside its own user and mount namespace


def mounted_tmpfs(folder: Path, size: str) -> bool:
    """Mount a tmpfs of `size` on `folder` (as root, or as the namespace's root): whether it worked."""
    if os.geteuid() != 0:
        return False
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
    return subprocess.run(mount, capture_output=True).returncode == 0  # refused in a container without CAP_SYS_ADMIN


@pytest.mark.slow
def test_a_real_full_disk(monkeypatch, tmp_path, demo_dir):
    """On a 30 MB tmpfs: mounted directly as root; otherwise the test runs again inside a user and mount namespace of
    its own (`unshare --map-root-user --mount`, no privilege needed where the kernel allows user namespaces), where
    it may mount one. It skips only where neither is allowed (a container that forbids both), saying so."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    if mounted_tmpfs(tiny, "30m"):
        try:
            fill_the_disk_and_train(monkeypatch, tiny, demo_dir)
        finally:
            subprocess.run(["umount", "-l", str(tiny)])
        return
    if os.environ.get(IN_NAMESPACE) or not shutil.which("unshare"):
        pytest.skip("mounting a small tmpfs needs root or an unprivileged user namespace; this machine allows neither")
    test = f"{Path(__file__).relative_to(ROOT)}::test_a_real_full_disk"
    pytest_args = ["-p", "no:cacheprovider", "-q", f"--basetemp={tmp_path / 'inner'}", test]  # a folder it owns
    inner = subprocess.run(
        ["unshare", "--map-root-user", "--mount", sys.executable, "-m", "pytest", *pytest_args],
        cwd=ROOT,
        env={**os.environ, IN_NAMESPACE: "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if inner.returncode and "unshare failed" in inner.stderr:
        pytest.skip(f"no user namespace here ({inner.stderr.strip()}), and mounting a tmpfs needs root")
    assert inner.returncode == 0 and "1 passed" in inner.stdout, inner.stdout[-3000:] + inner.stderr[-2000:]


def fill_the_disk_and_train(monkeypatch: pytest.MonkeyPatch, tiny_disk: Path, demo_dir: Path) -> None:
    """A training on a disk left with 400 kB fails saying the disk is full; the next run is refused up front."""
    monkeypatch.setenv("CNNAPP_HOME", str(tiny_disk))
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
