"""Uploaded files: kept while a run needs them, deleted once nothing will read them again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cnnapp import workspace as ws
from cnnapp.jobs import uploads
from cnnapp.jobs.uploads import release_uploads
from cnnapp.runs import CONFIG, RunDir


def test_api_uploads_are_deleted_once_no_run_can_read_them_again(workspace):
    def upload(name: str, state: str | None, age_s: float, ended_s: float | None = None) -> Path:
        kept = ws.uploads_dir(workspace) / name / "data.zip"
        kept.parent.mkdir(parents=True)
        kept.write_bytes(b"PK")
        os.utime(kept.parent, (time.time() - age_s, time.time() - age_s))
        if state:
            run = RunDir.create("lenet5", workspace)
            run.file(CONFIG).write_text(f'{{"data": "{kept}"}}')
            run.update_status(state=state, ended=None if ended_s is None else time.time() - ended_s)
        return kept.parent

    done = upload("done", "completed", 3600)  # extracted and trained: its images live in datasets/
    resumable = upload("resumable", "interrupted", 3600, ended_s=60)  # resuming reads the archive again
    stopped_long_ago = upload("cancelled", "cancelled", 7200, ended_s=3600)  # 10 × 20 MB start-and-stop grew uploads/
    failed_long_ago = upload("failed", "failed", 7200, ended_s=uploads.GRACE_S + 5)
    waiting = upload("waiting", "queued", 3600)
    stray = upload("stray", None, 3600)  # its request failed after storing it
    fresh = upload("fresh", None, 5)  # its run is being created right now
    release_uploads(workspace)
    assert not done.exists() and not stray.exists()
    assert not stopped_long_ago.exists() and not failed_long_ago.exists(), "kept for the grace after the stop, no more"
    assert resumable.exists() and waiting.exists() and fresh.exists()


def test_discarded_uploads_stay_for_the_grace_then_go_and_other_paths_stay(tmp_path, monkeypatch, wait_for):
    monkeypatch.setattr(uploads, "GRACE_S", 1.0)
    folder = tmp_path / "gradio"
    used = folder / "digest" / "data.zip"
    used.parent.mkdir(parents=True)
    used.write_bytes(b"PK")
    outside = tmp_path / "mine.zip"
    outside.write_bytes(b"PK")
    uploads.discard(used, outside, None, folder=folder)
    time.sleep(0.3)
    assert used.exists(), "an upload another request may still be reading was deleted before its grace"
    wait_for(lambda: not used.parent.exists(), 10, "the used upload and its folder to be deleted")
    assert outside.exists() and folder.is_dir()


def test_a_folder_uploaded_twice_is_stored_once(workspace, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    first = uploads.store_folder([(a, ["cats", "a.png"]), (b, ["dogs", "b.png"])], workspace)
    again = uploads.store_folder([(b, ["dogs", "b.png"]), (a, ["cats", "a.png"])], workspace)
    assert first == again and (first / "cats" / "a.png").read_bytes() == b"one"
    assert [p.name for p in ws.datasets_dir(workspace).iterdir()] == [first.name], "a temporary folder was left"
    with pytest.raises(OSError):
        uploads.store_folder([(tmp_path / "gone.png", ["cats", "gone.png"])], workspace)
