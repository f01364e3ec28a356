"""The run picker the tabs share: which runs are listed, and which one is chosen, in one order everywhere."""

from __future__ import annotations

import time

from cnnapp.runs import RunDir
from cnnapp.ui import compare_tab, evaluate_tab, export_tab, predict_tab
from cnnapp.ui.common import run_dropdown, session_runs

CHOICES = [("newest", "c"), ("middle", "b"), ("oldest", "a")]


def test_the_run_picked_elsewhere_wins_then_the_current_choice_then_the_newest():
    assert run_dropdown(CHOICES, current="a", preferred="b").value == "b"
    assert run_dropdown(CHOICES, current="a", preferred="gone").value == "a"
    assert run_dropdown(CHOICES, current="gone", preferred=None).value == "c"
    assert run_dropdown([], current="a", preferred="b").value is None
    multi = run_dropdown(CHOICES, current=["a", "gone", "c"], preferred="b", multiselect=True)
    assert multi.value == ["a", "c"] and multi.multiselect


def _run(root, *files: str) -> RunDir:
    run = RunDir.create("lenet5", root)
    run.file("config.json").write_text('{"arch": "lenet5"}')
    run.update_status(state="completed", created=time.time())
    for name in files:
        run.file(name).write_bytes(b"")
    time.sleep(0.01)
    return run


def test_every_tab_lists_newest_first_and_picks_in_the_same_order(workspace):
    older = _run(workspace, "model.safetensors", "report.json")
    newer = _run(workspace, "model.safetensors", "report.json")
    bare = _run(workspace)
    listed = [v for _, v in session_runs(workspace, None)]
    assert listed[:3] == [bare.id, newer.id, older.id]
    assert [v for _, v in session_runs(workspace, None, needs="model.safetensors")] == [newer.id, older.id]
    assert session_runs(workspace, None)[1][0] == f"{newer.id} · lenet5 · val acc —"
    pickers = {
        "export": lambda cur, pref: export_tab.run_choices(workspace, cur, pref),
        "evaluate": lambda cur, pref: evaluate_tab.run_choices(workspace, cur, pref)[0],
        "predict": lambda cur, pref: predict_tab.model_choices(workspace, cur, pref),
    }
    for name, picker in pickers.items():
        assert picker(older.id, newer.id).value == newer.id, f"{name}: the run picked elsewhere wins"
        assert picker(older.id, bare.id).value == older.id, f"{name}: else the current choice (the other is unlisted)"
        assert picker(None, None).value == newer.id, f"{name}: else the newest listed run"
    assert compare_tab.run_choices(workspace, [older.id, "gone"]).value == [older.id]
