"""Disk budgets for what visitors bring (uploads, extracted archives, uploaded folders, made datasets), checked
before anything is written; unused extracted archives are evicted first, oldest use first."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cnnapp import quotas
from cnnapp import workspace as ws
from cnnapp.errors import LimitError


def filler(path: Path, size: int, age_s: float = 0) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "data.bin").write_bytes(b"\0" * size)
    if age_s:
        os.utime(path, (time.time() - age_s, time.time() - age_s))
    return path


def test_a_session_has_a_budget_and_the_workspace_one_too(workspace, monkeypatch):
    monkeypatch.setenv("CNNAPP_SESSION_DISK_BUDGET", "1mb")
    monkeypatch.setenv("CNNAPP_DISK_BUDGET", "3mb")
    mine = filler(ws.uploads_dir(workspace) / "a", 700 * 1024)
    quotas.record(mine, "alice", workspace)
    quotas.make_room(300 * 1024, "alice", workspace)
    with pytest.raises(LimitError, match=r"over this server's 1 MiB for one visitor \(set by CNNAPP_SESSION_DISK_BUD"):
        quotas.make_room(400 * 1024, "alice", workspace)
    quotas.make_room(900 * 1024, "bob", workspace)  # another visitor has room of their own
    filler(ws.datasets_dir(workspace) / "folder-0123456789abcdef", 2 * 1024**2)  # an uploaded folder: never evicted
    with pytest.raises(LimitError, match=r"over this server's 3 MiB for them \(set by CNNAPP_DISK_BUDGET\)"):
        quotas.make_room(900 * 1024, "bob", workspace)


def test_extracted_archives_unused_for_an_hour_are_evicted_oldest_first(workspace, monkeypatch):
    monkeypatch.setenv("CNNAPP_DISK_BUDGET", "3mb")
    datasets = ws.datasets_dir(workspace)
    oldest = filler(datasets / "aaaaaaaaaaaaaaaa", 1024**2, age_s=3 * 3600)
    older = filler(datasets / "bbbbbbbbbbbbbbbb", 1024**2, age_s=2 * 3600)
    recent = filler(datasets / "cccccccccccccccc", 900 * 1024, age_s=60)  # a run may be reading it
    quotas.make_room(1024**2, "carol", workspace)
    assert not oldest.exists() and older.exists() and recent.exists()
    with pytest.raises(LimitError, match="CNNAPP_DISK_BUDGET"):
        quotas.make_room(3 * 1024**2, "carol", workspace)
    assert not older.exists() and recent.exists(), "evicted what it could, the recent one stays"


def test_the_data_tab_refuses_a_zip_over_the_budget_before_extracting_it(workspace, monkeypatch, tmp_path):
    from cnnapp.ui import data_tab

    monkeypatch.setenv("CNNAPP_SESSION_DISK_BUDGET", "1mb")
    archive = tmp_path / "big.zip"
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(archive, "w") as zf:
        for c in ("a", "b"):
            for i in range(3):
                zf.writestr(f"{c}/{i}.bin", rng.bytes(300 * 1024))
    notice = data_tab.use_zip(workspace, str(archive), None, "dave")[-3]
    assert "big.zip" in notice and "CNNAPP_SESSION_DISK_BUDGET" in notice
    assert not ws.datasets_dir(workspace).exists() or not any(ws.datasets_dir(workspace).iterdir())


def test_the_builder_stops_at_the_workspace_budget(workspace, monkeypatch):
    from cnnapp.data.builder import Builder

    made = Builder.create("full")
    made.add_class("a")
    monkeypatch.setenv("CNNAPP_DISK_BUDGET", "100kb")
    with pytest.raises(LimitError, match="CNNAPP_DISK_BUDGET"):
        made.add_examples("a", [np.zeros((40, 40, 3), np.uint8)])
    assert made.examples("a") == []
