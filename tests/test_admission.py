"""One admission gate for every way of creating a run, on a default install: the course's Compare grid (4 runs) and
optimizer race (7 runs) queue from the page and over the API, and finish; Resume meets the same rule."""

from __future__ import annotations

import json
import shutil

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from test_api import zip_folder

from cnnapp.errors import LimitError
from cnnapp.jobs.admission import Request, check
from cnnapp.runs import ACTIVE, RunDir
from cnnapp.settings import Settings

DEFAULTS = Settings()  # a default install's limits


def test_requests_are_counted_not_runs(tmp_path):
    grid, race = Request("grid", "alice", runs=4), Request("race", "alice", runs=7)
    check(grid, [], tmp_path, DEFAULTS)
    check(race, [grid], tmp_path, DEFAULTS)  # a grid and a race fit one session
    with pytest.raises(LimitError, match=r"2 request\(s\) waiting, this server's limit \(set by CNNAPP_MAX_QUEUED"):
        check(Request("start", "alice"), [grid, race], tmp_path, DEFAULTS)
    check(Request("start", "bob"), [grid, race], tmp_path, DEFAULTS)  # another visitor is not held back
    with pytest.raises(
        LimitError, match=r"a grid of 9 runs is over this server.s limit of 8 runs \(set by CNNAPP_MAX_RUN"
    ):
        check(Request("grid", "carol", runs=9), [], tmp_path, DEFAULTS)
    many = [Request("start", f"v{i}") for i in range(DEFAULTS.max_queued_total)]
    with pytest.raises(LimitError, match=r"6 requests are already waiting"):
        check(Request("start", "dave"), many, tmp_path, DEFAULTS)


@pytest.mark.slow
def test_the_grid_and_the_race_queue_from_the_page_on_a_default_install_and_finish(workspace, demo_dir, wait_for):
    from cnnapp.jobs.worker import JobManager
    from cnnapp.ui import compare_tab
    from cnnapp.ui.dataset_state import default_dataset
    from cnnapp.ui.learn import optimizers

    jobs = JobManager(workspace, threads=1)
    try:
        race, _, _ = optimizers.queue_runs(jobs, "lenet5", 1, 3e-3, "student")
        dataset = {**default_dataset(), "path": str(demo_dir)}
        picker, _, _ = compare_tab.queue(jobs, "student", dataset, "tf_efficientnet_lite0", 1, 0, 32, None, "none")
        grid = picker.value
        assert len(race) == 7 and len(grid) == 4, "both exercises queued on the default limits"
        names = [RunDir.of(r, workspace).status()["name"] for r in race]
        assert len(set(names)) == 7 and names[0].endswith("· SGD"), names
        for run_id in [*race, *grid]:
            wait_for(lambda run_id=run_id: RunDir.of(run_id, workspace).status()["state"] not in ACTIVE, 600, run_id)
            assert RunDir.of(run_id, workspace).status()["state"] == "completed", RunDir.of(run_id, workspace).status()
    finally:
        jobs.shutdown(timeout=10)


@pytest.mark.slow
def test_the_grid_and_resume_over_the_api_meet_the_same_rule(serve, small_dataset, tmp_path, wait_for):
    archive = zip_folder(small_dataset, tmp_path / "small.zip")
    blob = tmp_path / "blob"  # as gradio's JavaScript client sends a Blob: judged by its bytes, not its name
    shutil.copyfile(archive, blob)
    config = json.dumps({"arch": "tf_efficientnet_lite0", "epochs": 1, "img_size": 32})
    with serve() as app:
        client = app.client
        cells = client.predict(dataset=handle_file(blob), config=config, api_name="/compare")
        assert [c["setting"][:3] for c in cells] == ["(a)", "(b)", "(c)", "(d)"] and all(c["run_id"] for c in cells)
        for cell in cells:
            status = app.wait_until_finished(cell["run_id"], timeout=300)
            assert status["state"] == "completed", (cell, status["message"])

        long = json.dumps({"arch": "lenet5", "epochs": 200, "batch_size": 8})
        first = client.predict(handle_file(archive), long, api_name="/start_training")
        wait_for(lambda: app.jobs.position(first) is None, 60, "the first run to take the slot")
        second, third = (client.predict(handle_file(archive), long, api_name="/start_training") for _ in range(2))
        client.predict(third, api_name="/stop_training")  # it was waiting: cancelled at once, resumable
        assert client.predict(third, api_name="/run_status")["state"] == "cancelled"
        assert "queued" in client.predict(third, api_name="/resume_training")  # the session waits on two requests
        with pytest.raises(AppError, match=r"2 request\(s\) waiting"):
            client.predict(dataset=handle_file(archive), config=config, api_name="/compare")
        client.predict(second, api_name="/stop_training")
        fourth = client.predict(handle_file(archive), long, api_name="/start_training")
        with pytest.raises(AppError, match=r"2 request\(s\) waiting"):  # resume meets the same rule
            client.predict(second, api_name="/resume_training")
        assert client.predict(second, api_name="/run_status")["state"] == "cancelled", (
            "a refused resume changes nothing"
        )
        for run_id in (first, third, fourth):
            client.predict(run_id, api_name="/stop_training")
