"""The Export tab's handlers and layout, on a real trained run (no browser)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import gradio as gr
import onnxruntime as ort
import pytest

from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train
from cnnapp.ui import export_tab
from cnnapp.ui.common import user_errors
from cnnapp.ui.context import UIContext


@pytest.fixture
def run_id(small_dataset, workspace) -> str:
    run, status = train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=1, batch_size=16), progress=False)
    assert status["state"] == "completed"
    return run.id


def test_downloads_onnx_and_the_model_folder(run_id, workspace):
    choices = export_tab.usable_runs(workspace)
    assert [value for _, value in choices] == [run_id] and re.search(r"lenet5 · .* · \d+\.\d%", choices[0][0])
    assert export_tab.run_choices(workspace, None, None).value == run_id

    path, note = export_tab.make_download(workspace, run_id, "onnx")
    assert Path(path).name == f"{run_id}.onnx" and "softmax" in note
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert json.loads(session.get_modelmeta().custom_metadata_map["labels"]) == ["bag", "sandal", "trouser"]

    path, note = export_tab.make_download(workspace, run_id, list(export_tab.FORMATS)[1])
    assert Path(path).name == f"{run_id}.zip" and "local-dir" in note
    with zipfile.ZipFile(path) as zf:
        assert sorted(n for n in zf.namelist() if not n.endswith("/")) == sorted(
            f"{run_id}/{n}" for n in ("model.safetensors", "config.json", "README.md")
        )
    assert not (workspace / "exports").exists()  # downloads go to the temp folder, not the workspace


def test_errors_are_short_messages(run_id, workspace, monkeypatch):
    with pytest.raises(gr.Error, match="no run chosen"):
        user_errors(export_tab.make_download)(workspace, None, "onnx")
    with pytest.raises(gr.Error, match="no run named"):
        user_errors(export_tab.make_download)(workspace, "20990101-000000-x-0000", "onnx")
    with pytest.raises(gr.Error, match="offline mode is on"):
        user_errors(export_tab.push)(workspace, run_id, "someone/model", "hf_x", False)

    import huggingface_hub.constants

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", "hf_the_servers_own_token")
    with pytest.raises(gr.Error, match="enter your token"):  # never the server's token
        user_errors(export_tab.push)(workspace, run_id, "someone/model", "", False)
    with pytest.raises(gr.Error, match="USER/REPO"):
        user_errors(export_tab.push)(workspace, run_id, "<script>", "hf_x", False)


def test_tab_builds(workspace):
    with gr.Blocks() as demo:
        ctx = UIContext(
            demo=demo,
            root=workspace,
            jobs=None,
            session=gr.BrowserState(None),
            dataset=gr.State(None),
            saved_dataset=gr.BrowserState(None),
            saved_form=gr.BrowserState(None),
            selected_run=gr.State(None),
            watched_run=gr.State(None),
            runs_changed=gr.State(0),
            arch=gr.Dropdown(render=False),
            augment=gr.Dropdown(render=False),
        )
        with gr.Tab(export_tab.TITLE):
            export_tab.build(ctx)
    ids = {getattr(block, "elem_id", None) for block in demo.blocks.values()}
    assert {
        "export-run",
        "export-format",
        "export-button",
        "export-file",
        "export-repo",
        "export-token",
        "export-push",
    } <= ids
    assert export_tab.run_choices(workspace, None, None).value is None
