"""The run picker the tabs share: which runs are listed, how they read, which one is chosen (one order everywhere)."""

from __future__ import annotations

import json
import re
import time

from cnnapp.runs import RunDir
from cnnapp.ui import compare_tab, evaluate_tab, export_tab, predict_tab
from cnnapp.ui.common import run_dropdown, session_runs

CHOICES = [("newest", "c"), ("middle", "b"), ("oldest", "a")]
EMPTY_WEIGHTS = (2).to_bytes(8, "little") + b"{}"


def test_picked_elsewhere_then_the_current_choice_then_the_best_then_the_newest():
    assert run_dropdown(CHOICES, current="a", preferred="b", best="a").value == "b"
    assert run_dropdown(CHOICES, current="a", preferred="gone", best="b").value == "a"
    assert run_dropdown(CHOICES, current="gone", preferred=None, best="b").value == "b"
    assert run_dropdown(CHOICES, current="gone", preferred=None, best="gone").value == "c"
    assert run_dropdown(CHOICES, current=None).value == "c"
    assert run_dropdown([], current="a", preferred="b", best="c").value is None
    multi = run_dropdown(CHOICES, current=["a", "gone", "c"], preferred="b", multiselect=True)
    assert multi.value == ["a", "c"] and multi.multiselect


def _run(root, data, *files: str, accuracy: float | None = None, state: str = "completed", name: str = "") -> RunDir:
    run = RunDir.create("lenet5", root)
    run.file("config.json").write_text(json.dumps({"arch": "lenet5", "data": str(data)}))
    run.update_status(state=state, created=time.time(), name=name or run.id, dataset={"name": data.name})
    if accuracy is not None:
        run.append_metrics({"epoch": 1, "val_acc": accuracy})
    for name in files:  # weights: an empty but well-formed safetensors file (header {}), else an empty file
        run.file(name).write_bytes(EMPTY_WEIGHTS if name.endswith(".safetensors") else b"")
    time.sleep(0.01)
    return run


def test_runs_read_name_dataset_accuracy_and_date(workspace, tmp_path):
    shapes = tmp_path / "shapes"
    done = _run(workspace, shapes, accuracy=0.853, name="first try")
    queued = _run(workspace, shapes, state="queued", name="second try")
    labels = dict((value, label) for label, value in session_runs(workspace, None)[0])
    assert re.fullmatch(r"first try · shapes · 85\.3% · \d{4}-\d\d-\d\d \d\d:\d\d", labels[done.id]), labels[done.id]
    assert re.fullmatch(r"second try · shapes · queued · \d{4}-\d\d-\d\d \d\d:\d\d", labels[queued.id])
    assert done.id not in labels[done.id], "the label is for people: the run id stays the value"
    queued.update_status(name="LeNet-5 · shapes · from scratch")  # a default name says the dataset already
    assert session_runs(workspace, None)[0][0][0].startswith("LeNet-5 · shapes · from scratch · queued · ")


def test_every_tab_lists_newest_first_and_defaults_to_the_best_run_for_the_dataset(workspace, tmp_path):
    shapes, other = tmp_path / "shapes", tmp_path / "other"
    weights = ("model.safetensors", "report.json")
    best = _run(workspace, shapes, *weights, accuracy=0.9)
    worse = _run(workspace, shapes, *weights, accuracy=0.5)
    elsewhere = _run(workspace, other, *weights, accuracy=0.99)
    running = _run(workspace, shapes, *weights, accuracy=0.95, state="running")
    bare = _run(workspace, shapes, accuracy=0.97)  # no weights, no report: listed only where nothing is needed
    dataset = {"path": str(shapes), "name": "shapes"}
    choices, top = session_runs(workspace, None, dataset=dataset)
    assert [v for _, v in choices] == [bare.id, running.id, elsewhere.id, worse.id, best.id]
    assert top == bare.id, "the best completed run on this dataset, whatever it has"
    choices, top = session_runs(workspace, None, needs="model.safetensors", dataset=dataset)
    assert [v for _, v in choices] == [running.id, elsewhere.id, worse.id, best.id]
    assert top == best.id, "not the running run, nor the better one on another dataset"
    assert session_runs(workspace, None, needs="model.safetensors")[1] is None, "no dataset: no best"
    pickers = {
        "export": lambda cur, pref, data: export_tab.run_choices(workspace, cur, pref, None, data),
        "evaluate": lambda cur, pref, data: evaluate_tab.run_choices(workspace, cur, pref, None, data)[0],
        "predict": lambda cur, pref, data: predict_tab.model_choices(workspace, cur, pref, None, data),
    }
    for name, picker in pickers.items():
        assert picker(worse.id, elsewhere.id, dataset).value == elsewhere.id, f"{name}: the run picked elsewhere wins"
        assert picker(worse.id, bare.id, dataset).value == worse.id, f"{name}: else the current choice"
        assert picker(None, None, dataset).value == best.id, f"{name}: else the best completed run for the dataset"
        assert picker(None, None, {"path": str(other)}).value == elsewhere.id, f"{name}: another dataset, its best"
        assert picker(None, None, {"path": str(tmp_path / "new")}).value == running.id, f"{name}: else the newest"
    assert compare_tab.run_choices(workspace, [worse.id, "gone"]).value == [worse.id]


def test_equal_accuracy_picks_the_newest(workspace, tmp_path):
    older = _run(workspace, tmp_path, "model.safetensors", accuracy=0.8)
    newer = _run(workspace, tmp_path, "model.safetensors", accuracy=0.8)
    assert session_runs(workspace, None, dataset={"path": str(tmp_path)})[1] == newer.id != older.id
