"""Security of the live app: session-scoped runs, hostile uploads, upload limits, paths outside the workspace,
the bind address, and 50 concurrent predictions. Real servers, real clients, real images and trainings.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import stat
import struct
import subprocess
import sys
import time
import urllib.request
import zipfile
import zlib
from functools import partial
from pathlib import Path

import gradio as gr
import httpx
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from test_api import zip_folder
from test_hostile import make_zip, png_bytes, two_classes

from cnnapp import api, runs
from cnnapp.errors import CnnappError, RunError
from cnnapp.jobs import sessions
from cnnapp.jobs.worker import JobManager
from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train
from cnnapp.ui import (
    UPLOAD_CACHE,
    data_tab,
    evaluate_tab,
    explain_tab,
    export_tab,
    launch_options,
    predict_tab,
    runs_tab,
)
from cnnapp.ui.common import user_errors

ROOT = Path(__file__).resolve().parents[1]
IMAGENET = "imagenet:tf_efficientnet_lite0"


def bomb_png(path: Path, side: int = 50_000) -> Path:
    """A 100-byte PNG that declares side × side pixels (a decompression bomb: tiny file, gigapixels decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )
    return path


def files_outside(folder: Path, workspace: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and not p.is_relative_to(workspace)}


# ----- bind address, upload size, server paths --------------------------------------------------------------


@pytest.mark.slow
def test_the_server_listens_on_localhost_unless_configured(monkeypatch, workspace, wait_for):
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("CNNAPP_MAX_UPLOAD", raising=False)
    options = launch_options()
    assert (options["server_name"], options["max_file_size"]) == ("127.0.0.1", 2 * 1024**3)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("CNNAPP_MAX_UPLOAD", "500mb")
    assert (launch_options()["server_name"], launch_options()["max_file_size"]) == ("0.0.0.0", 500 * 1024**2)
    assert launch_options(server_name="::1")["server_name"] == "::1"

    monkeypatch.delenv("GRADIO_SERVER_NAME")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={**os.environ, "GRADIO_SERVER_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def serves_its_page() -> bool:
        assert app.poll() is None, "python app.py exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                return page.status == 200
        except OSError:
            return False

    try:
        assert wait_for(serves_its_page, 60, "python app.py to serve its page")
        listening = [
            line.split()
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
            + Path("/proc/net/tcp6").read_text().splitlines()[1:]
        ]
        addresses = {
            address
            for address, state in ((f[1], f[3]) for f in listening)
            if state == "0A" and address.endswith(f":{port:04X}")
        }
        assert addresses == {f"0100007F:{port:04X}"}, f"app.py listens on {addresses}, not only 127.0.0.1"
    finally:
        app.terminate()
        app.wait(10)


@pytest.mark.slow
def test_uploads_over_the_limit_are_refused(monkeypatch, serve, tmp_path):
    monkeypatch.setenv("CNNAPP_MAX_UPLOAD", "20kb")
    big = tmp_path / "big.zip"
    big.write_bytes(os.urandom(50_000))
    with serve() as app:
        demo, client = app.demo, app.client
        assert demo.max_file_size == 20 * 1024
        with pytest.raises(ValueError, match="exceeds the maximum file size of 20480 bytes"):
            client.predict(dataset=handle_file(big), config="{}", api_name="/start_training")
        refused = httpx.post(demo.local_url + "gradio_api/upload", files={"files": ("big.zip", big.read_bytes())})
        assert refused.status_code == 413 and "exceeded maximum allowed size" in refused.text
        assert client.predict(api_name="/list_runs") == []


@pytest.mark.slow
def test_files_on_the_server_cannot_be_passed_as_uploads(live_app, workspace):
    """A raw call naming a server path instead of an upload is refused by gradio before cnnapp sees it."""
    for endpoint, data in [
        ("start_training", [{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, "{}"]),
        ("predict", [{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, IMAGENET, 3]),
    ]:
        event = httpx.post(live_app.url + f"gradio_api/call/{endpoint}", json={"data": data}).json()["event_id"]
        reply = httpx.get(live_app.url + f"gradio_api/call/{endpoint}/{event}", timeout=60).text
        assert "event: error" in reply and "root:" not in reply
    assert not (workspace / "runs").exists()


def call(url: str, endpoint: str, data: list) -> str:
    """A raw API call, as a script would make it; the reply's event stream."""
    event = httpx.post(url + f"gradio_api/call/{endpoint}", json={"data": data}).json()["event_id"]
    return httpx.get(url + f"gradio_api/call/{endpoint}/{event}", timeout=120).text


@pytest.mark.slow
def test_uploads_are_deleted_once_used_and_their_path_is_not_accepted_again(
    serve, workspace, small_dataset, tmp_path, monkeypatch
):
    monkeypatch.setattr("cnnapp.jobs.uploads.GRACE_S", 0.0)  # no concurrent request shares this upload
    archive = shutil.make_archive(str(tmp_path / "small"), "zip", small_dataset.parent, small_dataset.name)
    config = json.dumps({"arch": "lenet5", "epochs": 1, "batch_size": 8})
    with serve() as app:
        demo, jobs = app.demo, app.jobs
        assert demo.delete_cache == UPLOAD_CACHE
        with open(archive, "rb") as f:
            (uploaded,) = httpx.post(demo.local_url + "gradio_api/upload", files={"files": ("small.zip", f)}).json()
        assert Path(uploaded).is_file()
        file_data = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
        reply = call(demo.local_url, "start_training", [file_data, config])
        assert "event: complete" in reply, reply
        deadline = time.monotonic() + 10
        while Path(uploaded).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not Path(uploaded).exists()
        again = call(demo.local_url, "start_training", [file_data, config])
        assert "event: error" in again and "root:" not in again
        (run,) = jobs.active() or sessions.all_runs(workspace)
        assert jobs.wait(run.id, timeout=120)["state"] == "completed"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in run.path.iterdir() if p.is_file()}
    assert "model.safetensors" in modes and len(set(modes.values())) == 1, modes


# ----- hostile uploads through the live server and the Data tab -------------------------------------------


def damaged_entries(archive: bytes, path: Path) -> Path:
    """`archive` with every entry's data overwritten (its listing and headers intact): nothing in it can be read."""
    data = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for info in zf.infolist():
            name, extra = (
                int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little"),
                int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little"),
            )
            start = info.header_offset + 30 + name + extra
            data[start : start + info.compress_size] = b"\xff" * info.compress_size
    path.write_bytes(bytes(data))
    return path


@pytest.mark.slow
def test_hostile_uploads_get_clear_messages_and_the_server_keeps_serving(
    monkeypatch, serve, workspace, tmp_path, photos
):
    outside = tmp_path / "outside"
    outside.mkdir()
    inner = make_zip(tmp_path / "inner.zip", two_classes()).read_bytes()
    good = make_zip(tmp_path / "good.zip", two_classes()).read_bytes()
    corrupt = damaged_entries(good, tmp_path / "corrupt.zip")
    fake = tmp_path / "photos.zip"
    fake.write_bytes(png_bytes(0))
    zips = [  # (archive, environment, message)
        (
            make_zip(
                tmp_path / "traversal.zip",
                {
                    "../escape.png": png_bytes(1),
                    f"{outside}/abs.png": png_bytes(2),
                    "cat/../../../escape3.png": png_bytes(3),
                },
            ),
            {},
            "no class folders found",
        ),
        (
            make_zip(tmp_path / "links.zip", {}, symlinks={"cat/link.png": "/etc/passwd", "dog/up": "../../.."}),
            {},
            "no class folders found",
        ),
        (
            make_zip(tmp_path / "ratio.zip", {**two_classes(), "cat/zeros.png": b"\0" * 2_000_000}),
            {"CNNAPP_ZIP_MAX_RATIO": "20"},
            "zip bomb",
        ),
        (make_zip(tmp_path / "bytes.zip", two_classes(20)), {"CNNAPP_ZIP_MAX_BYTES": "5000"}, "expands to more than"),
        (make_zip(tmp_path / "files.zip", two_classes()), {"CNNAPP_ZIP_MAX_FILES": "5"}, "more than 5 files"),
        (make_zip(tmp_path / "nested.zip", {"cat/more.zip": inner}), {}, "no class folders found"),
        (corrupt, {}, "no valid images found"),  # each entry's data unreadable: each skipped with its reason
        (fake, {}, r"not a (folder or a \.)?zip archive"),  # the API lists it, the Data tab reads it: by content
        (
            make_zip(
                tmp_path / "broken.zip",
                {f"{c}/{i}.png": b"\x89PNG\r\n\x1a\nbroken" for c in ("cat", "dog") for i in range(3)},
            ),
            {},
            "no valid images found",
        ),
        (
            make_zip(tmp_path / "one.zip", {f"solo/{i}.png": png_bytes(i) for i in range(5)}),
            {},
            "at least two class folders",
        ),
    ]
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    pictures = [(bomb_png(tmp_path / "bomb.png"), "image is too large"), (text, "not a valid image")]
    inputs = {p.name for p in tmp_path.rglob("*") if p.is_file()}

    in_job = {"traversal.zip", "links.zip", "nested.zip", "corrupt.zip", "broken.zip", "one.zip"}
    failed = set()
    with serve() as app:
        client = app.client
        for archive, env, message in zips:
            with monkeypatch.context() as limits:
                for key, value in env.items():
                    limits.setenv(key, value)
                if archive.name in in_job:  # refused by the training, which reads the archive: the run fails
                    run_id = client.predict(
                        dataset=handle_file(archive), config='{"arch": "lenet5"}', api_name="/start_training"
                    )
                    status = app.wait_until_finished(run_id)
                    assert status["state"] == "failed", (archive.name, status)
                    reason = status["message"]
                    failed.add(run_id)
                else:  # refused from the archive's listing, before anything is queued
                    with pytest.raises(AppError) as caught:
                        client.predict(
                            dataset=handle_file(archive), config='{"arch": "lenet5"}', api_name="/start_training"
                        )
                    reason = str(caught.value)
                assert re.search(message, reason), (archive.name, reason)
                assert "Traceback" not in reason and len(reason.splitlines()) == 1

                # the Data tab's upload handler: the previous dataset stays, the notice says why
                state, *_, notice, _, _ = data_tab.use_zip(workspace, str(archive))
                assert state == gr.skip() and re.search(message, notice), (archive.name, notice)
                assert "Traceback" not in notice
            assert {r["run_id"] for r in client.predict(api_name="/list_runs")} == failed  # the server answers
        for picture, message in pictures:
            with pytest.raises(AppError, match=message):
                client.predict(image=handle_file(picture), model=IMAGENET, top_k=3, api_name="/predict")
        result = client.predict(image=handle_file(photos["coffee"]), model=IMAGENET, top_k=2, api_name="/predict")
        assert result["label"] == "espresso"

    assert not any(outside.iterdir()) and not list(tmp_path.rglob("escape*"))
    assert files_outside(tmp_path, workspace) == inputs, "something was written outside the workspace"
    assert sorted(p.name for p in workspace.iterdir()) == [
        "datasets",
        "owners",
        "runs",
        "uploads",
    ]  # owners: what each visitor brought (quotas)
    assert {p.name for p in (workspace / "uploads").glob("*/*")} == in_job, "refused uploads are not kept"


# ----- run ids and paths ---------------------------------------------------------------------------------


def test_no_run_id_reaches_outside_the_workspace(workspace, tmp_path):
    elsewhere = tmp_path / "elsewhere" / "run"
    elsewhere.mkdir(parents=True)
    (elsewhere / "config.json").write_text('{"arch": "lenet5"}')
    (elsewhere / "status.json").write_text(json.dumps({"state": "interrupted", "created": time.time()}))
    (elsewhere / "model.safetensors").write_bytes(b"keep me")
    (workspace / "runs").mkdir()
    (workspace / "runs" / "linked").symlink_to(elsewhere, target_is_directory=True)
    jobs = JobManager(workspace, threads=1)
    attempts = ["linked", "../elsewhere/run", "../../etc", "/etc", str(elsewhere), "runs/../linked", "..", ""]
    for run_id in attempts:
        for call in (
            partial(sessions.get_run, run_id, workspace),
            partial(api.run_status, run_id, workspace),
            partial(api.predict, str(tmp_path / "x.png"), run_id or "x", 3, workspace),
            partial(jobs.stop, run_id),
            partial(jobs.resume, run_id),
            partial(evaluate_tab.show, workspace, run_id or "x", "validation"),
            partial(explain_tab.on_model, workspace, run_id or "x"),
        ):
            with pytest.raises(CnnappError):
                call()
        for handler, args in ((runs_tab.delete, ()), (export_tab.make_download, (next(iter(export_tab.FORMATS)),))):
            with pytest.raises(gr.Error):
                user_errors(handler)(workspace, run_id, *args)
    assert [r.id for r in sessions.all_runs(workspace)] == [] and api.list_runs(workspace) == []
    assert (elsewhere / "model.safetensors").read_bytes() == b"keep me"


# ----- session scoping -------------------------------------------------------------------------------------


@pytest.fixture
def alices_run(workspace, small_dataset) -> str:
    """A trained LeNet-5 run (1 epoch, 3 classes) that the session 'alice' created."""
    run, status = train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=1, batch_size=8), progress=False)
    assert status["state"] == "completed"
    sessions.claim(run, "alice")
    return run.id


def test_a_session_sees_and_uses_only_its_own_runs(monkeypatch, workspace, alices_run, small_dataset):
    picture = str(next((small_dataset / "bag").iterdir()))
    monkeypatch.delenv("CNNAPP_SESSION_RUNS", raising=False)
    assert runs_tab.runs_frame(workspace, "bob")["run"].tolist() == [alices_run], (
        "without scoping every run is everyone's"
    )

    monkeypatch.setenv("CNNAPP_SESSION_RUNS", "1")
    with pytest.raises(RunError) as unknown:
        sessions.get_run("20990101-000000-lenet5-0000", workspace, "bob")
    with pytest.raises(RunError) as hidden:
        sessions.get_run(alices_run, workspace, "bob")
    assert str(hidden.value) == str(unknown.value).replace("20990101-000000-lenet5-0000", alices_run), (
        "another's run looks like no run at all"
    )

    assert runs_tab.runs_frame(workspace, "alice")["run"].tolist() == [alices_run]
    assert runs_tab.runs_frame(workspace, "bob").empty and runs_tab.runs_frame(workspace, None).empty
    assert alices_run in [v for _, v in predict_tab.model_choices(workspace, None, None, "alice").choices]
    assert [v for _, v in predict_tab.model_choices(workspace, None, alices_run, "bob").choices] == [IMAGENET]
    assert export_tab.usable_runs(workspace, "bob") == [] and evaluate_tab.evaluated_runs(workspace, "bob") == []
    assert [v for _, v in export_tab.usable_runs(workspace, "alice")] == [alices_run]
    assert not runs_tab.details(workspace, alices_run, "bob")[0].visible
    assert predict_tab.classify(workspace, picture, alices_run, 2, "alice")
    assert predict_tab.classify(workspace, picture, IMAGENET, 2, "bob"), "ImageNet models are everyone's"

    jobs = JobManager(workspace, threads=1)
    for call in (
        lambda: predict_tab.classify(workspace, picture, alices_run, 2, "bob"),
        lambda: api.run_status(alices_run, workspace, "bob"),
        lambda: evaluate_tab.show(workspace, alices_run, "validation", "bob"),
        lambda: explain_tab.gradcam(workspace, picture, alices_run, None, "bob"),
        lambda: jobs.stop(alices_run, "bob"),
        lambda: jobs.resume(alices_run, "bob"),
        lambda: runs_tab.delete(workspace, alices_run, "bob"),
        lambda: export_tab.make_download(workspace, alices_run, list(export_tab.FORMATS)[1], "bob"),
    ):
        with pytest.raises((RunError, gr.Error), match="no run named"):
            call()
    from cnnapp.ui import compare_tab

    with pytest.raises(RunError, match="no run named"):
        compare_tab.show(workspace, [alices_run], "bob")
    assert api.list_runs(workspace, "bob") == [] and [r["run_id"] for r in api.list_runs(workspace, "alice")] == [
        alices_run
    ]
    with pytest.raises(RunError, match="no session"):
        jobs.submit({"data": str(small_dataset), "arch": "lenet5"}, None)
    (workspace / "runs" / alices_run / runs.OWNER).unlink()
    assert runs_tab.runs_frame(workspace, "alice").empty, "a run without an owner belongs to no visitor"


@pytest.mark.slow
@pytest.mark.parametrize(
    "env",
    [{"CNNAPP_SESSION_RUNS": "1"}, {"SPACE_ID": "someone/cnnapp"}],  # or a Space deployed as it is: nothing else set
    ids=["runs-per-visitor", "on-a-space"],
)
def test_two_api_clients_see_only_their_own_runs(monkeypatch, serve, small_dataset, tmp_path, demo_dir, env):
    monkeypatch.delenv("CNNAPP_SESSION_RUNS", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    archive = zip_folder(small_dataset, tmp_path / "small.zip")
    with serve() as app:
        alice, bob = app.client, app.new_client()
        run_id = alice.predict(
            dataset=handle_file(archive),
            config='{"arch": "lenet5", "epochs": 1, "batch-size": 8}',
            api_name="/start_training",
        )
        assert app.wait_until_finished(run_id, alice, timeout=120)["state"] == "completed"
        assert [r["run_id"] for r in alice.predict(api_name="/list_runs")] == [run_id]
        assert bob.predict(api_name="/list_runs") == []
        image = handle_file(sorted((demo_dir / "trouser").iterdir())[-1])
        for endpoint, kwargs in (
            ("/run_status", {"run_id": run_id}),
            ("/stop_training", {"run_id": run_id}),
            ("/resume_training", {"run_id": run_id}),
            ("/predict", {"image": image, "model": run_id, "top_k": 2}),
        ):
            with pytest.raises(AppError, match="no run named"):
                bob.predict(**kwargs, api_name=endpoint)
        assert alice.predict(image=image, model=run_id, top_k=2, api_name="/predict")["label"] in (
            "bag",
            "sandal",
            "trouser",
        )
        assert len(bob.predict(image=image, model=IMAGENET, top_k=2, api_name="/predict")["confidences"]) == 2


# ----- load ----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fifty_concurrent_predictions_all_succeed(live_app, photos):
    """Timing lives in `bench/serving.py::load`; here only correctness under load."""
    client = live_app.client
    jobs = [client.submit(handle_file(photos["coffee"]), IMAGENET, 3, api_name="/predict") for _ in range(50)]
    results = [job.result(timeout=300) for job in jobs]
    assert all(r["label"] == "espresso" and len(r["confidences"]) == 3 for r in results)
