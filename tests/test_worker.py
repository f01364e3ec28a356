"""The background job manager: real `python -m cnnapp train` processes, queued, stopped, killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cnnapp.errors import ConfigError
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import ACTIVE, RunDir, list_runs, pid_alive

LONG = {"arch": "lenet5", "epochs": 300, "batch_size": 8}


@pytest.fixture
def jobs(workspace: Path, monkeypatch: pytest.MonkeyPatch):
    """A manager whose first run, like every later one, takes a warm trainer (as in the app)."""
    monkeypatch.setenv("CNNAPP_MAX_EPOCHS", str(LONG["epochs"]))  # long runs, which the tests stop
    manager = JobManager(workspace, threads=1, stop_timeout=5, term_timeout=5, warm_trainer=True)
    assert manager.prestart(wait=120).ready.is_set()
    yield manager
    manager.shutdown(timeout=5)


def nice_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_bad_settings_are_rejected_before_anything_is_queued(small_dataset, workspace):
    jobs = JobManager(workspace, threads=1, warm_trainer=False)  # refused before any process could start
    for values, message in [
        ({"data": str(small_dataset), "arch": "no_such_net"}, "unknown architecture"),
        ({"data": str(small_dataset), "arch": "lenet5", "epochs": 0}, "epochs must be at least 1"),
        ({"data": str(small_dataset), "arch": "lenet5", "lr_head": "fast"}, "lr_head must be float"),
        ({"arch": "lenet5"}, "no dataset given"),
    ]:
        with pytest.raises(ConfigError, match=message):
            jobs.submit(values)
    assert list_runs(workspace).empty
    jobs.shutdown(timeout=5)


@pytest.mark.slow
def test_runs_are_queued_one_at_a_time_in_niced_processes(jobs, small_dataset):
    warm = jobs.prestart()
    first = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 2, "batch_size": 8})
    assert first.status()["pid"] == warm.process.pid, "the run did not take the warm trainer"
    second = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 1, "batch_size": 8})
    assert second.status()["state"] == "queued"
    assert second.status()["manager_pid"] == os.getpid()
    pid = first.status()["pid"]
    assert pid != os.getpid() and nice_of(pid) == min(19, os.nice(0) + jobs.nice)
    assert jobs.wait(first.id, 120)["state"] == "completed"
    assert jobs.wait(second.id, 120)["state"] == "completed"
    a, b = first.status(), second.status()
    assert b["started"] >= a["ended"], "the second run started before the first one ended"
    assert a["pid"] != b["pid"]
    assert "on CPU (1 thread)" in first.log_tail(50) and "on CPU (1 thread)" in second.log_tail(50)
    assert [r.id for r in jobs.active()] == []


@pytest.mark.slow
def test_a_killed_idle_warm_trainer_is_replaced_and_a_run_takes_the_new_one(jobs, small_dataset, wait_for):
    warm = jobs.prestart()
    assert nice_of(warm.process.pid) == min(19, os.nice(0) + jobs.nice)
    os.kill(warm.process.pid, signal.SIGKILL)
    fresh = wait_for(lambda: (w := jobs.prestart()) is not warm and w, 30, "a new warm trainer")
    assert fresh.ready.wait(120) and fresh.process.pid != warm.process.pid and warm.process.poll() is not None
    run = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 1, "batch_size": 8})
    assert run.status()["pid"] == fresh.process.pid
    assert jobs.wait(run.id, 120)["state"] == "completed"
    assert run.status()["pid"] == fresh.process.pid, "the status does not name the process that trained"
    assert f"{run.path}" in run.log_tail(5), "the warm trainer's output did not go to the run's log"
    successor = jobs.prestart()
    assert successor is not fresh and successor.process.poll() is None, "no warm trainer for the next run"


@pytest.mark.slow
def test_without_the_warm_trainer_each_run_starts_its_own_process(workspace, small_dataset, monkeypatch):
    monkeypatch.setenv("CNNAPP_WARM_TRAINER", "0")
    manager = JobManager(workspace, threads=1)
    try:
        assert manager.prestart(wait=1) is None
        run = manager.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 1, "batch_size": 8})
        assert manager.wait(run.id, 120)["state"] == "completed" and manager.prestart() is None
    finally:
        manager.shutdown(timeout=5)


@pytest.mark.slow
def test_stop_is_graceful_and_keeps_a_checkpoint(jobs, demo_dir, wait_for):
    run = jobs.submit({"data": str(demo_dir), **LONG})
    wait_for(lambda: len(run.metrics()) >= 1, what="the first epoch")
    assert jobs.stop(run.id).code == "jobs.stopping"
    status = jobs.wait(run.id, 30)
    assert status["state"] == "cancelled" and "stopped on request" in status["message"]
    assert run.file("checkpoint.pt").is_file() and run.file("model.safetensors").is_file()
    assert len(run.metrics()) < LONG["epochs"]


@pytest.mark.slow
def test_a_queued_run_can_be_cancelled_before_it_starts(jobs, small_dataset, demo_dir):
    running = jobs.submit({"data": str(demo_dir), **LONG})
    queued = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 1})
    assert jobs.stop(queued.id).code == "jobs.cancelled_queued"
    assert queued.status()["state"] == "cancelled"
    jobs.stop(running.id)
    assert jobs.wait(running.id, 60)["state"] == "cancelled"
    assert queued.status().get("pid") is None, "a cancelled queued run was started"


@pytest.mark.slow
def test_stop_escalates_to_sigterm_then_sigkill(workspace):
    """A process that ignores the stop request and SIGTERM is killed after the timeouts."""
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
            "time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert stubborn.stdout.readline().strip() == "ready"
        run = RunDir.create("lenet5", workspace)
        run.update_status(state="running", pid=stubborn.pid, created=time.time(), started=time.time())
        manager = JobManager(workspace, stop_timeout=0.5, term_timeout=0.5)
        manager.stop(run.id)
        assert run.stop_requested()
        assert stubborn.wait(10) == -signal.SIGKILL
        assert "SIGKILL" in run.status()["message"]
        assert run.reconcile()["state"] == "interrupted"
    finally:
        stubborn.kill()
        stubborn.wait()


@pytest.mark.slow
def test_a_killed_worker_shows_as_interrupted_and_the_queue_moves_on(jobs, demo_dir, small_dataset, wait_for):
    victim = jobs.submit({"data": str(demo_dir), **LONG})
    after = jobs.submit({"data": str(small_dataset), "arch": "lenet5", "epochs": 1, "batch_size": 8})
    wait_for(lambda: victim.status().get("state") == "running", what="the run to start")
    os.kill(victim.status()["pid"], signal.SIGKILL)
    assert jobs.wait(victim.id, 30)["state"] == "interrupted"
    wait_for(lambda: "killed (SIGKILL)" in victim.status()["message"], 10, "the reason")
    assert jobs.wait(after.id, 120)["state"] == "completed"


MANAGER = textwrap.dedent("""
    import sys, time
    from cnnapp.jobs.worker import JobManager
    jobs = JobManager(threads=1, warm_trainer=True)
    warm = jobs.prestart(wait=120)  # the running training is a warm trainer, as in the app
    running = jobs.submit({"data": sys.argv[1], "arch": "lenet5", "epochs": 300, "batch_size": 8})
    queued = jobs.submit({"data": sys.argv[1], "arch": "lenet5", "epochs": 1})
    while running.status().get("state") != "running":
        time.sleep(0.1)
    assert running.status()["pid"] == warm.process.pid
    print(running.id, queued.id, running.status()["pid"], jobs.prestart().process.pid, flush=True)
    time.sleep(600)
""")


@pytest.mark.slow
def test_after_an_app_restart_dead_runs_show_as_interrupted(workspace, demo_dir, wait_for, monkeypatch):
    monkeypatch.setenv("CNNAPP_MAX_EPOCHS", "300")  # the first app's long run, for its subprocess
    """The app (and its worker) die without a word; the next app lists both runs as interrupted, with why."""
    app = subprocess.Popen(
        [sys.executable, "-c", MANAGER, str(demo_dir)], stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    try:
        running_id, queued_id, worker_pid, idle_pid = app.stdout.readline().split()
    finally:
        app.kill()
        app.wait()
    wait_for(lambda: not pid_alive(int(idle_pid)), 180, "the idle warm trainer to end with its app (once loaded)")
    os.kill(int(worker_pid), signal.SIGKILL)
    wait_for(lambda: not pid_alive(int(worker_pid)), 10, "the worker to die")

    from cnnapp import api

    rows = {row["run_id"]: row for row in api.list_runs(workspace)}
    assert rows[running_id]["state"] == "interrupted" and "ended without finishing" in rows[running_id]["message"]
    assert rows[queued_id]["state"] == "interrupted" and "before this queued run started" in rows[queued_id]["message"]


def stub_manager(workspace: Path, monkeypatch: pytest.MonkeyPatch, seconds: float, **options) -> JobManager:
    """A job manager whose trainings are processes sleeping `seconds` (its queue, watchers and limits are real)."""
    manager = JobManager(workspace, threads=1, **{"warm_trainer": False, **options})
    code = f"import time; time.sleep({seconds})"
    monkeypatch.setattr(
        manager, "_spawn", lambda args, **popen: subprocess.Popen([sys.executable, "-c", code], **popen)
    )
    return manager


def test_a_watcher_that_fails_is_restarted_and_the_queue_moves_on(workspace, monkeypatch, capfd, wait_for):
    from cnnapp.jobs import processes

    real_wait, failures = processes.wait_gone, []

    def fails_once(target, timeout):
        if not failures:
            failures.append(target)
            raise RuntimeError("a bug inside the watcher")
        return real_wait(target, timeout)

    monkeypatch.setattr(processes, "wait_gone", fails_once)
    monkeypatch.setattr(processes, "WATCH_RETRY_S", 0.1)
    jobs = stub_manager(workspace, monkeypatch, 0.5, max_jobs=1)
    try:
        first = jobs.submit({"data": "d", "arch": "lenet5"})
        second = jobs.submit({"data": "d", "arch": "lenet5"})
        wait_for(lambda: second.status().get("pid"), 30, "the next run to start after its watcher failed")
        assert failures, "the watcher never raised"
        assert "RuntimeError: a bug inside the watcher" in capfd.readouterr().err
        assert first.status()["state"] == "failed" and "exited with code 0" in first.status()["message"]
    finally:
        jobs.shutdown(timeout=5)


@pytest.mark.slow  # waits seconds for a limit or a stub training, by design
def test_the_time_limit_also_stops_a_run_adopted_after_an_app_restart(workspace, monkeypatch, wait_for):
    """A training launched 55 s before the app restarted, under a 1-minute limit, is stopped about 5 s later."""
    monkeypatch.setenv("CNNAPP_MAX_RUN_MINUTES", "1")
    run = RunDir.create("lenet5", workspace)
    gone_app = subprocess.Popen([sys.executable, "-c", "pass"])
    gone_app.wait()
    trainer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", str(run.path)])
    try:
        run.update_status(state="running", pid=trainer.pid, manager_pid=gone_app.pid, launched=time.time() - 55)
        start = time.monotonic()
        jobs = JobManager(workspace, threads=1, stop_timeout=0.5, term_timeout=2)
        try:
            wait_for(lambda: run.status()["state"] == "cancelled", 30, "the adopted run to be stopped")
            assert time.monotonic() - start < 20, "the limit was counted from the restart, not the launch"
            wait_for(lambda: "CNNAPP_MAX_RUN_MINUTES" in run.status()["message"], 10, "the reason")
            assert run.status()["message"].startswith("stopped after 1 min, this server's limit for one run")
            assert trainer.poll() is not None
        finally:
            jobs.shutdown(timeout=5)
    finally:
        trainer.kill()
        trainer.wait()


def test_many_sessions_cannot_queue_more_than_the_server_wide_limit(workspace, monkeypatch):
    from cnnapp.errors import LimitError

    monkeypatch.setenv("CNNAPP_MAX_QUEUED_TOTAL", "2")
    jobs = stub_manager(workspace, monkeypatch, 60, max_jobs=1)
    try:
        for visitor in range(3):  # one runs, two wait: each API session is a new visitor
            jobs.submit({"data": "d", "arch": "lenet5"}, f"session-{visitor}")
        with pytest.raises(
            LimitError,
            match=r"2 requests are already waiting for a slot, this server's limit \(set by CNNAPP_MAX_QUEUED_T",
        ):
            jobs.submit({"data": "d", "arch": "lenet5"}, "session-3")
        assert len(list_runs(workspace)) == 3
    finally:
        jobs.shutdown(timeout=5)


def test_status_messages_are_stored_with_their_codes(workspace, monkeypatch, wait_for):
    """The manager's messages keep their English text (the CLI and the API read it) and carry a code for the pages."""
    jobs = stub_manager(workspace, monkeypatch, 60, max_jobs=1)
    try:
        running = jobs.submit({"data": "d", "arch": "lenet5"})
        queued = jobs.submit({"data": "d", "arch": "lenet5"})
        cancelled = jobs.submit({"data": "d", "arch": "lenet5"})
        assert running.status()["message_code"]["code"] == "run.starting_process"
        assert queued.status()["message_code"]["code"] == "run.waiting"
        jobs.stop(cancelled.id)
        assert cancelled.status()["message"] == "cancelled before it started"
        assert cancelled.status()["message_code"]["code"] == "run.cancelled_before_start"
    finally:
        jobs.shutdown(timeout=5)
    assert queued.status()["message"] == "the app shut down before this run started"
    assert queued.status()["message_code"] == {"code": "run.shut_down_before_start", "params": {}}
    wait_for(lambda: running.status()["state"] == "cancelled", 10, "the stopped run's final state")
    assert running.status()["message"] == "stopped on request (the process had to be killed)"
    assert running.status()["message_code"]["code"] == "run.stopped_killed"


@pytest.mark.slow  # waits seconds for a limit or a stub training, by design
def test_predictions_take_the_cores_a_running_training_leaves(workspace, monkeypatch, wait_for):
    from cnnapp import cores

    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    jobs = stub_manager(workspace, monkeypatch, 3.0)
    try:
        assert cores.inference_threads() == 2  # nothing trains: both cores
        run = jobs.submit({"data": "d", "arch": "lenet5"})
        wait_for(lambda: run.status().get("pid"), 30, "the training to start")
        assert cores.inference_threads() == 1  # its one thread keeps a core
        wait_for(lambda: run.status().get("state") not in ("queued", "running"), 30, "the training to end")
        wait_for(lambda: cores.inference_threads() == 2, 10, "the core to be given back")
        monkeypatch.setenv("CNNAPP_INFERENCE_THREADS", "3")  # the setting wins
        assert cores.inference_threads() == 3
    finally:
        jobs.shutdown(timeout=5)


def test_resume_is_refused_once_a_session_is_at_its_limit(workspace, monkeypatch, wait_for):
    """Resume used to skip both queue limits: one session resumed 8 stopped runs and locked the next visitor out."""
    from cnnapp.errors import LimitError

    monkeypatch.setenv("CNNAPP_MAX_QUEUED_PER_SESSION", "1")
    monkeypatch.setenv("CNNAPP_MAX_QUEUED_TOTAL", "2")
    jobs = stub_manager(workspace, monkeypatch, 60, max_jobs=1, stop_timeout=0.2, term_timeout=1)
    try:
        stopped = []
        for _ in range(3):
            run = jobs.submit({"data": str(workspace), "arch": "lenet5"}, "alice")  # a dataset that is there
            jobs.stop(run.id, "alice")
            wait_for(lambda run=run: run.status()["state"] not in ACTIVE, 30, "the run to stop")
            stopped.append(run)
        running = jobs.submit({"data": "d", "arch": "lenet5"}, "alice")
        wait_for(lambda: running.status().get("pid"), 30, "a run to take the slot")
        assert "queued" in jobs.resume(stopped[0].id, "alice")
        with pytest.raises(
            LimitError, match=r"1 request\(s\) waiting, this server's limit \(set by CNNAPP_MAX_QUEUED_P"
        ):
            jobs.resume(stopped[1].id, "alice")
        assert stopped[1].status()["state"] != "queued", "a refused resume changes nothing"
        jobs.submit({"data": "d", "arch": "lenet5"}, "bob")
        with pytest.raises(LimitError, match=r"2 requests are already waiting"):
            jobs.resume(stopped[2].id, "carol-does-not-own-it-but-scoping-is-off")
    finally:
        jobs.shutdown(timeout=5)


def test_a_learning_rate_finder_is_a_request_under_the_same_rule(workspace, monkeypatch):
    from cnnapp.errors import LimitError
    from cnnapp.jobs import processes

    monkeypatch.setenv("CNNAPP_MAX_QUEUED_PER_SESSION", "1")
    jobs = stub_manager(workspace, monkeypatch, 60, max_jobs=1)
    seen = []

    def finder(args, env, nice, timeout):
        seen.append([r.session for r in jobs._tools.values()])
        with pytest.raises(LimitError, match=r"1 request\(s\) waiting"):  # bob's finder is running: bob waits
            jobs.run_tool(["lr-find"], timeout=5, session="bob")
        return subprocess.CompletedProcess(args, 0, "{}", "")

    monkeypatch.setattr(processes, "run_tool", finder)
    try:
        jobs.submit({"data": "d", "arch": "lenet5"}, "alice")
        jobs.submit({"data": "d", "arch": "lenet5"}, "alice")  # waits: alice's one request
        with pytest.raises(LimitError, match=r"1 request\(s\) waiting"):
            jobs.run_tool(["lr-find", "--data", "d"], timeout=5, session="alice")
        assert jobs.run_tool(["lr-find", "--data", "d"], timeout=5, session="bob").returncode == 0
    finally:
        jobs.shutdown(timeout=5)
    assert seen == [["bob"]] and not jobs._tools, "counted while it runs, not after"
