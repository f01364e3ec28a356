import subprocess
import sys
import time

import pytest
from conftest import trained_demo_run

from cnnapp import runs
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


def test_weights_and_checkpoints_round_trip_atomically(workspace):
    import torch

    run = RunDir.create("lenet5")
    assert not run.has_weights() and run.weights_stamp() == 0.0
    with pytest.raises(RunError, match="no saved weights yet"):
        run.load_state()
    model = torch.nn.Linear(3, 2)
    run.save_checkpoint({"model": runs.cpu_state(model), "epoch": 1})
    assert run.load_state().keys() == model.state_dict().keys()  # the checkpoint's weights until best ones exist
    run.save_state(model, {"arch": "linear"})
    assert run.has_weights() and run.weights_stamp() > 0
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in run.load_state().items())
    assert run.load_checkpoint()["epoch"] == 1
    assert sorted(p.name for p in run.path.iterdir()) == sorted([runs.WEIGHTS, runs.CHECKPOINT])  # no temp files


def test_only_runs_that_ended_early_can_be_resumed(workspace):
    run = RunDir.create("lenet5")
    for state in runs.RESUMABLE:
        run.update_status(state=state)
        run.require_resumable()
    for state in ("completed", "queued"):
        run.update_status(state=state, manager_pid=subprocess.os.getpid())
        with pytest.raises(RunError, match="only interrupted, cancelled or failed runs can be resumed"):
            run.require_resumable()
    run.require_resumable(also=("queued",))


def test_a_queued_run_that_fails_before_training_says_why_in_its_status(workspace, small_dataset):
    from cnnapp.errors import ConfigError
    from cnnapp.training.config import TrainConfig
    from cnnapp.training.train import train

    run = RunDir.create("lenet5")
    run.update_status(state="queued", manager_pid=subprocess.os.getpid())
    with pytest.raises(ConfigError, match="epochs must be at least 1"):
        train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=0), run.path)
    status = run.status()
    assert status["state"] == "failed" and status["message"] == "epochs must be at least 1, got 0"
    finished = RunDir.create("lenet5")
    finished.update_status(state="completed")
    with pytest.raises(ConfigError):
        train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=0), finished.path)
    assert finished.status()["state"] == "completed"  # only runs the app queued are marked


def _finished_run(data: str = "photos") -> RunDir:
    run = RunDir.create("lenet5")
    run.file("config.json").write_text(f'{{"arch": "lenet5", "epochs": 1, "data": "{data}"}}')
    run.update_status(state="completed", created=time.time(), epoch=1, epochs=1, message="completed")
    return run


@pytest.mark.parametrize(
    "file, content, reason",
    [
        ("status.json", "[1, 2, 3]", "status.json is damaged (a JSON list, not an object)"),
        ("status.json", '{"state": "running", "epoch": "two"}', "status.json is damaged ('epoch' is str)"),
        ("status.json", '{"state": 5}', "status.json is damaged ('state' is int)"),
        ("config.json", '"lenet5"', "config.json is damaged"),
        ("metrics.csv", "no,table\n1,2\n", "metrics.csv is damaged"),
        ("model.safetensors", "\x00garbage" * 10, "model.safetensors is damaged"),
    ],
)
def test_a_damaged_run_file_makes_that_run_damaged_and_every_other_run_is_listed(workspace, file, content, reason):
    from cnnapp import api

    good, bad = _finished_run(), _finished_run()
    bad.file(file).write_text(content)
    rows = {r["run_id"]: r for r in api.list_runs(workspace)}
    assert rows[good.id]["state"] == "completed"
    assert rows[bad.id]["state"] == "damaged" and rows[bad.id]["message"].startswith(reason)
    assert "\n" not in rows[bad.id]["message"]
    status = api.run_status(bad.id, workspace)
    assert status["state"] == "damaged" and status["message"].startswith(reason)


def test_predicting_with_damaged_weights_says_so_in_one_line(workspace, demo_dir):
    from cnnapp import api

    run = trained_demo_run(workspace)
    run.weights.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json, not weights")
    with pytest.raises(RunError, match=r"weights \(model.safetensors\) are damaged and cannot be loaded"):
        api.predict(str(next((demo_dir / "trouser").iterdir())), run.id, 2, workspace)


def test_a_run_that_failed_before_any_weights_says_why_when_asked_to_predict(workspace):
    run = _finished_run()
    run.file("model.safetensors").unlink(missing_ok=True)
    run.finish("failed", "the loss became NaN: lower the learning rate")
    with pytest.raises(RunError) as err:
        run.load_state()
    assert "wait for its first epoch" not in str(err.value)
    assert "ended without saving any weights (the loss became NaN: lower the learning rate)" in str(err.value)
    run.update_status(state="running", pid=subprocess.os.getpid())
    with pytest.raises(RunError, match="wait for its first epoch"):
        run.load_state()


def test_the_time_left_counts_down_and_says_waiting_when_no_batch_comes(workspace):
    """eta_s stayed frozen while a trainer was stopped (SIGSTOP): a silent trainer is now 'waiting'."""
    from test_i18n import request

    from cnnapp import api
    from cnnapp.runs import stalled, time_left
    from cnnapp.ui.common import progress_html
    from cnnapp.ui.i18n import COOKIE

    now = time.time()
    fresh = {"t": now - 2, "eta_s": 30.0, "batch_s": 0.5}
    assert time_left(fresh, now) == pytest.approx(28.0) and not stalled(fresh, now)
    slow_batches = {"t": now - 60, "eta_s": 600.0, "batch_s": 15.0}  # 60 s silent, but a batch takes 15 s
    assert not stalled(slow_batches, now) and time_left(slow_batches, now) == pytest.approx(540.0)
    silent = {"t": now - 45, "eta_s": 30.0, "batch_s": 0.5}
    assert stalled(silent, now) and time_left(silent, now) is None

    run = RunDir.create("lenet5")
    run.file("config.json").write_text('{"arch": "lenet5", "epochs": 3}')
    run.update_status(state="running", pid=subprocess.os.getpid(), created=now, epochs=3, epoch=0)
    run.log_event({**silent, "stage": "full", "epoch": 1, "epochs": 3, "batch": 4, "batches": 10})
    status = api.run_status(run.id, workspace)
    assert status["eta_s"] is None and status["waiting"] is True
    assert "waiting (no batch for a while)" in progress_html(run, run.status()) and "left" not in progress_html(
        run, run.status()
    )
    with request({COOKIE: "es"}, {}):
        assert "esperando" in progress_html(run, run.status())
    run.log_event({**fresh, "t": time.time(), "stage": "full", "epoch": 1, "epochs": 3, "batch": 5, "batches": 10})
    status = api.run_status(run.id, workspace)
    assert status["waiting"] is False and 25 < status["eta_s"] <= 30
