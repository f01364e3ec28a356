"""Faults seen from the app: a training killed with SIGKILL, Resume through the job manager, an app restarted
while its training runs. Real servers, real `python -m cnnapp train` processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import gradio as gr
import pytest
from gradio_client import handle_file
from test_worker import MANAGER

from cnnapp.errors import RunError
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import RunDir, list_runs, pid_alive
from cnnapp.ui import runs_tab
from cnnapp.ui.common import user_errors

pytestmark = pytest.mark.slow

SLOW_EPOCHS = {
    "arch": "lenet5",
    "epochs": 15,
    "batch_size": 4,
    "img_size": 96,
}  # about 10 s in all: a kill lands mid-run


def test_a_killed_training_is_interrupted_predicts_lets_the_queue_move_and_resumes(
    live_app, wait_for, workspace, demo_dir, small_dataset
):
    jobs, client = live_app.jobs, live_app.client
    victim = jobs.submit({"data": str(demo_dir), **SLOW_EPOCHS})
    after = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 1, "batch_size": 8})
    wait_for(lambda: len(victim.metrics()) >= 1, 120, "the first epoch")
    killed = victim.status()["pid"]
    assert victim.status()["state"] == "running"
    os.kill(killed, signal.SIGKILL)

    assert jobs.wait(victim.id, 30)["state"] == "interrupted"
    wait_for(lambda: "killed (SIGKILL)" in victim.status()["message"], 10, "the reason")
    done = len(victim.metrics())
    assert 1 <= done < SLOW_EPOCHS["epochs"]
    picture = sorted((demo_dir / "bag").iterdir())[0]
    result = client.predict(image=handle_file(picture), model=victim.id, top_k=3, api_name="/predict")
    assert result["label"] in victim.labels() and len(result["confidences"]) == 3

    assert jobs.wait(after.id, 120)["state"] == "completed", "the queued run did not start after the kill"
    assert after.status()["started"] >= victim.status()["ended"]

    *_, resume_button, _ = runs_tab.details(workspace, victim.id)
    assert resume_button.visible and "last checkpoint" in resume_button.value
    watched, _ = runs_tab.resume(jobs, victim.id)
    assert watched == victim.id and victim.status()["state"] in ("queued", "ingesting", "running")
    with pytest.raises(gr.Error, match="only interrupted, cancelled or failed runs can be resumed"):
        user_errors(runs_tab.resume)(jobs, victim.id)
    status = client.predict(victim.id, api_name="/run_status")
    assert status["state"] in ("queued", "ingesting", "running")

    assert jobs.wait(victim.id, 180)["state"] == "completed"
    status = client.predict(victim.id, api_name="/run_status")
    assert [row["epoch"] for row in status["metrics"]] == list(range(1, SLOW_EPOCHS["epochs"] + 1)), (
        "epochs duplicated or lost"
    )
    assert victim.status()["pid"] != killed and "resuming from stage 1, epoch" in victim.log_tail(80)
    assert not runs_tab.details(workspace, victim.id)[-2].visible, "a completed run offers no Resume"


def test_a_restarted_app_adopts_the_training_still_running_and_loses_nothing(
    wait_for, workspace, demo_dir, small_dataset, monkeypatch
):
    """The app dies with one training running and one queued; the next app holds the slot until that training ends."""
    monkeypatch.setenv("CNNAPP_MAX_EPOCHS", "300")  # the first app's long run (test_worker.MANAGER)
    app = subprocess.Popen([sys.executable, "-c", MANAGER, str(demo_dir)], stdout=subprocess.PIPE, text=True)
    try:
        running_id, queued_id, worker, _ = app.stdout.readline().split()
    finally:
        app.kill()
        app.wait()
    worker_pid = int(worker)
    running, queued = RunDir(workspace / "runs" / running_id), RunDir(workspace / "runs" / queued_id)
    try:
        jobs = JobManager(workspace, threads=1, max_jobs=1)
        try:
            states = list_runs(workspace).set_index("run_id")["state"]
            assert states[running_id] == "running" and pid_alive(worker_pid)
            assert states[queued_id] == "interrupted" and "before this queued run started" in queued.status()["message"]
            assert queued.file("config.json").is_file(), "the queued run's files are kept"

            new = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 1, "batch_size": 8})
            assert jobs.resume(queued_id).startswith(f"run {queued_id} queued to start again")
            wait_for(lambda: len(running.metrics()) >= 2, 120, "the adopted run to go on")
            assert new.status()["state"] == "queued" and "pid" not in new.status(), (
                "the adopted training does not hold its slot"
            )

            assert "stopping" in str(jobs.stop(running_id))
            wait_for(lambda: running.status()["state"] == "cancelled", 60, "the adopted run to stop")
            assert running.file("checkpoint.pt").is_file() and running.file("model.safetensors").is_file()
            assert jobs.wait(new.id, 120)["state"] == "completed"
            assert new.status()["started"] >= running.status()["ended"]
            assert jobs.wait(queued_id, 120)["state"] == "completed" and len(queued.metrics()) == 1
            with pytest.raises(RunError, match="only interrupted, cancelled or failed"):
                jobs.resume(new.id)
        finally:
            jobs.shutdown(timeout=5)
    finally:
        if pid_alive(worker_pid):
            os.kill(worker_pid, signal.SIGKILL)
