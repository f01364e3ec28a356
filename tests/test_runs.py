import subprocess
import sys
import time

import pytest

from cnnapp.errors import RunError
from cnnapp.runs import RunDir, get_run, list_runs, pid_alive


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_listing_marks_dead_running_runs_interrupted(workspace):
    assert list_runs().empty and "best_val_acc" in list_runs().columns
    run = RunDir.create("lenet5")
    (run.file("config.json")).write_text('{"arch": "lenet5", "epochs": 3}')
    run.update_status(state="running", pid=_dead_pid(), created=time.time(), started=time.time())
    frame = list_runs()
    assert frame.loc[0, "state"] == "interrupted"
    assert "ended without finishing" in run.status()["message"]
    alive = RunDir.create("lenet5")
    alive.update_status(state="running", pid=subprocess.os.getpid(), created=time.time())
    assert alive.reconcile()["state"] == "running"


def test_run_ids_are_validated(workspace):
    run = RunDir.create("lenet5")
    run.update_status(state="completed", created=time.time())
    assert get_run(run.id).path == run.path
    for bad in ("../etc", "/etc/passwd", "..", "a/../../b", ""):
        with pytest.raises(RunError):
            get_run(bad)
    with pytest.raises(RunError, match="no run named"):
        get_run("20990101-000000-x-0000")


def test_events_and_metrics_files(workspace):
    run = RunDir.create("x")
    assert run.last_event() is None and run.metrics().empty
    run.log_event({"batch": 1})
    run.log_event({"batch": 2})
    assert run.last_event() == {"batch": 2}
    run.append_metrics({"epoch": 1, "stage": "full", "val_acc": 0.5})
    run.append_metrics({"epoch": 1, "stage": "full", "val_acc": 0.6})
    assert run.metrics()["val_acc"].tolist() == [0.6]
    assert pid_alive(subprocess.os.getpid()) and not pid_alive(_dead_pid())
