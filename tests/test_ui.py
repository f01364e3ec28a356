"""The tabs' handlers on real data, without a browser: uploads, reports, previews, settings, runs, models."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import zipfile
from pathlib import Path

import gradio as gr
import pytest

from cnnapp.errors import ConfigError
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import RunDir, get_run
from cnnapp.ui import build_app, data_tab, predict_tab, run_panel, runs_tab, train_tab
from cnnapp.ui.common import api_errors, plain, progress_html, user_errors
from cnnapp.ui.dataset_state import default_dataset
from cnnapp.ui.theme import PATH_SEP
from cnnapp.ui.uploads import rebuild_folder


def browser_upload(folder: Path, out: Path) -> list[str]:
    """The files as the app's folder-upload script sends them: one flat folder, names carrying their path."""
    out.mkdir()
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            target = out / PATH_SEP.join((folder.name, *path.relative_to(folder).parts))
            shutil.copy(path, target)
            files.append(str(target))
    return files


def test_an_uploaded_folder_keeps_its_classes(small_dataset, tmp_path, workspace):
    files = browser_upload(small_dataset, tmp_path / "flat")
    state, summary, counts, gallery, *_ = data_tab.use_folder(workspace, files)
    assert state["name"] == "uploaded folder (36 files)" and Path(state["path"]).is_relative_to(workspace / "datasets")
    assert "3 classes · 36 images" in summary
    assert counts["class"].tolist() == ["bag", "sandal", "trouser"] and counts["total"].tolist() == [12, 12, 12]
    assert {caption for _, caption in gallery} == {"bag", "sandal", "trouser"}
    assert rebuild_folder(files, workspace) == rebuild_folder(list(reversed(files)), workspace)


def test_a_folder_without_its_structure_is_refused_with_advice(small_dataset, workspace):
    flat = [str(p) for p in (small_dataset / "bag").iterdir()]
    state, *_, notice, zip_box, folder_box = data_tab.use_folder(workspace, flat, default_dataset())
    assert state == gr.skip() and "upload the folder as a .zip" in notice and folder_box is None


def test_the_ingestion_report_lists_skipped_files_with_reasons(small_dataset, tmp_path, workspace):
    archive = tmp_path / "messy.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in small_dataset.rglob("*.png"):
            zf.write(path, f"messy/{path.relative_to(small_dataset)}")
        zf.writestr("messy/bag/notes.txt", "not a picture")
        zf.writestr("messy/bag/broken.png", b"\x89PNG\r\n\x1a\nbroken")
        zf.writestr("messy/sandal/.DS_Store", "finder")
        zf.writestr("../evil.png", "escape")
    state, summary, _, _, box, text, skipped, *_ = data_tab.use_zip(workspace, str(archive))
    reasons = dict(zip(skipped["path"], skipped["reason"]))
    assert "not an image file (.txt)" in reasons["messy/bag/notes.txt"]
    assert "not a valid image" in reasons["messy/bag/broken.png"]
    assert "escape the extraction folder" in reasons["../evil.png"]
    assert reasons["messy/sandal/.DS_Store"] == "hidden file or folder"
    assert f"{len(skipped)} file(s) skipped" in text and box.label.startswith(
        f"Ingestion report · {len(skipped)} skipped"
    )
    assert state["name"] == "messy.zip" and "3 classes" in summary


def test_an_unusable_dataset_keeps_the_previous_choice(small_dataset, tmp_path, workspace):
    archive = tmp_path / "one.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in (small_dataset / "bag").iterdir():
            zf.write(path, f"bag/{path.name}")
    before = data_tab.use_zip(workspace, zip_folder_of(small_dataset, tmp_path))
    previous = before[0]
    for bad in (str(archive), str(next((small_dataset / "bag").iterdir()))):
        state, summary, counts, gallery, _, _, _, notice, zip_box, folder_box = data_tab.use_zip(
            workspace, bad, previous
        )
        assert state == gr.skip() and summary == before[1], "the previous dataset's panels come back"
        assert counts.equals(before[2]) and len(gallery) == len(before[3])
        assert "cannot be used" in notice and "Still using <b>small.zip</b>" in notice
        assert zip_box is None and folder_box is None, "the bad file stays in the upload box"
    assert "at least two class folders" in data_tab.use_zip(workspace, str(archive), previous)[7]
    assert "not a folder or a .zip archive" in data_tab.use_zip(workspace, bad, previous)[7]


def zip_folder_of(folder: Path, tmp_path: Path) -> str:
    return shutil.make_archive(str(tmp_path / folder.name), "zip", folder.parent, folder.name)


def test_the_augmentation_preview(workspace):
    text, items = data_tab.augment_preview(workspace, default_dataset(), "medium", 3)
    assert "hflip" in text and "rotate" in text and len(items) == 16
    assert all(image.shape == (data_tab.PREVIEW_PX, data_tab.PREVIEW_PX, 3) for image, _ in items)
    assert [caption.split(" · ")[1] for _, caption in items[:4]] == ["original", "augmented", "augmented", "augmented"]
    text, items = data_tab.augment_preview(workspace, default_dataset(), "hflip,wobble", 0)
    assert "unknown augmentation 'wobble'" in text and items == []


@pytest.mark.slow
def test_start_validates_the_form_and_queues_a_run(workspace, small_dataset):
    jobs = JobManager(workspace, threads=1)
    dataset = {"path": str(small_dataset), "source": str(small_dataset), "name": "small"}
    form = {
        "dataset": dataset,
        "arch": "lenet5",
        "pretrained": False,
        "freeze": False,
        "unfreeze_epochs": 0,
        "epochs": 1,
        "img_size": 28,
        "augment": "light",
        "lr_head": 0.01,
        "lr_backbone": None,
        "optimizer": "adam",
        "scheduler": "none",
        "batch_size": 8,
        "seed": 0,
        "patience": None,
        "name": None,
    }
    try:
        with pytest.raises(gr.Error, match="no dataset chosen"):
            user_errors(train_tab.start)(jobs, {**form, "dataset": None})
        with pytest.raises(gr.Error, match="image size 8 px is too small for lenet5"):
            user_errors(train_tab.start)(jobs, {**form, "img_size": 8})
        run_id, selected, *_ = train_tab.start(jobs, form)
        cfg = get_run(run_id, workspace).config()
        assert selected == run_id
        assert (cfg["arch"], cfg["pretrained"], cfg["freeze"], cfg["img_size"], cfg["augment"], cfg["optimizer"]) == (
            "lenet5",
            False,
            False,
            28,
            "light",
            "adam",
        )
        assert cfg["lr_backbone"] == cfg["lr_head"] == 0.01
        assert jobs.wait(run_id, 120)["state"] == "completed"
        texts = run_panel.refresh(jobs, run_id, [0, "running"])
        assert "completed" in texts[0] and "finished 1 epoch(s)" in texts[1] and texts[-1] != gr.skip()
    finally:
        jobs.shutdown()


def test_the_form_takes_its_defaults_from_the_one_owner_and_its_fields_by_name():
    pretrained, freeze, size, rate = train_tab.arch_defaults("lenet5", 0.01)
    assert (pretrained.value, freeze.value, size.value, size.minimum, rate) == (False, False, 28, 12, 0.01)
    pretrained, freeze, size, rate = train_tab.arch_defaults("tf_efficientnet_lite0", 0.01)
    assert (pretrained.value, freeze.value, size.value, rate) == (True, True, 128, 0.001)
    freeze, rate = train_tab.on_pretrained("tf_efficientnet_lite0", False, 0.003)
    assert freeze.value is False and rate == 0.003, "from scratch: not frozen, one rate for all"
    assert train_tab.backbone_rate("tf_efficientnet_lite0", None, True) is None
    assert train_tab.arch_defaults("no_such_net", 0.01) == (gr.skip(),) * 4
    handler = train_tab.by_name(lambda form, session: (form, session), ["dataset", "arch"])
    assert handler("d", "lenet5", "s") == ({"dataset": "d", "arch": "lenet5"}, "s")


def test_runs_table_details_and_delete(workspace):
    done = RunDir.create("lenet5", workspace)
    (done.file("config.json")).write_text(
        '{"arch": "lenet5", "pretrained": false, "freeze": false, "lr_head": 0.003, "epochs": 2}'
    )
    done.append_metrics(
        {"epoch": 1, "stage": "full", "train_loss": 1.0, "train_acc": 0.5, "val_loss": 1.1, "val_acc": 0.4}
    )
    done.update_status(state="completed", created=time.time(), started=time.time() - 65, ended=time.time(), epoch=1)
    busy = RunDir.create("lenet5", workspace)
    busy.update_status(state="running", pid=os.getpid(), created=time.time() + 1)

    empty, hint, shown = runs_tab.table(workspace)
    assert empty == "" and hint.visible and shown.visible
    table = runs_tab.runs_frame(workspace)
    assert table["run"].tolist() == [busy.id, done.id]
    row = table.iloc[1]
    assert (row["state"], row["pretrained"], row["lr head"], row["epochs"], row["best val acc"], row["duration"]) == (
        "completed",
        "no",
        "0.003",
        "1/2",
        "40.0%",
        "1 min 05 s",
    )
    assert table.iloc[0]["epochs"] == "—"
    box, info, loss, acc, per_class, name, stop, download, resume, _ = runs_tab.details(workspace, done.id)
    assert box.visible and "completed" in info and not per_class.visible and not download.visible and not resume.visible
    assert name == "lenet5 · " and not stop.visible
    (ax,) = acc.axes
    assert ax.get_legend_handles_labels()[1] == ["train", "validation"]
    assert [line.get_ydata().tolist() for line in ax.get_lines()] == [[50.0], [40.0]], "one epoch shows as points"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1"], "epoch ticks are whole numbers"
    assert not runs_tab.details(workspace, None)[0].visible
    with pytest.raises(gr.Error, match="stop it on the Train tab"):
        user_errors(runs_tab.delete)(workspace, busy.id)
    runs_tab.delete(workspace, done.id)
    assert not done.path.exists()
    busy.update_status(state="cancelled")
    busy.delete()
    empty, hint, shown = runs_tab.table(workspace)
    assert "No runs yet" in empty and not hint.visible and not shown.visible


def test_engine_messages_reach_the_page_without_command_line_flags(workspace):
    engine = {
        "out of memory: lower --batch-size or --img-size, or pick a smaller architecture": (
            "out of memory: lower the batch size or the image size, or pick a smaller architecture"
        ),
        "the loss became NaN or infinite; lower the learning rate (e.g. divide --lr-head by 10)": (
            "the loss became NaN or infinite; lower the learning rate (e.g. divide the head learning rate by 10)"
        ),
        "Use --arch tf_efficientnet_lite0, pass a local checkpoint with --weights FILE, or use --no-pretrained": (
            "Use the architecture tf_efficientnet_lite0, pass a local checkpoint with your own weights file "
            "(command line only), or use “Start from ImageNet weights” unticked"
        ),
        "try --some-new-flag": "try “some new flag”",
    }
    for message, shown in engine.items():
        assert plain(message) == shown

    def refused():
        raise ConfigError("unfreeze_epochs needs a frozen first stage: add --freeze")

    with pytest.raises(gr.Error) as caught:  # every handler's refusal, as the page shows it
        user_errors(refused)()
    assert caught.value.message == "unfreeze_epochs needs a frozen first stage: add “Freeze the backbone”"
    with pytest.raises(gr.Error, match="add --freeze"):  # the HTTP API keeps the engine's words
        api_errors(refused)()
    run = RunDir.create("lenet5", workspace)
    run.update_status(state="failed", message=next(iter(engine)), created=time.time())
    line = run_panel.status_line(run, run.status(), None)
    assert "lower the batch size or the image size" in line and "--" not in line
    assert "--" not in progress_html(run, run.status()) and "--" not in runs_tab._details(run)


def test_predict_offers_trained_runs_and_imagenet_models(workspace):
    run = RunDir.create("lenet5", workspace)
    run.file("config.json").write_text('{"arch": "lenet5"}')
    run.update_status(state="completed", created=time.time())
    choices = predict_tab.model_choices(workspace, None, None)
    assert choices.value == "imagenet:tf_efficientnet_lite0", "a run without weights is not offered"
    run.file("model.safetensors").write_bytes(b"")
    choices = predict_tab.model_choices(workspace, "imagenet:tf_efficientnet_lite0", run.id)
    assert choices.value == run.id and [v for _, v in choices.choices] == [run.id, "imagenet:tf_efficientnet_lite0"]
    assert predict_tab.classify(workspace, None, run.id, 3) is None


def test_the_app_exposes_only_the_documented_api(workspace):
    demo = build_app(workspace)
    public = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert public == {
        "start_training",
        "compare",
        "resume_training",
        "stop_training",
        "run_status",
        "predict",
        "predict_batch",
        "list_runs",
    }


def test_the_runs_table_follows_runs_started_elsewhere(workspace):
    first = runs_tab.poll(workspace, None)
    assert "No runs yet" in first[0] and first[-1] == gr.skip()
    assert all(part == gr.skip() for part in runs_tab.poll(workspace, first[3]))
    run = RunDir.create("lenet5", workspace)
    run.update_status(state="queued", manager_pid=os.getpid(), created=time.time())
    second = runs_tab.poll(workspace, first[3])
    assert second[0] == "" and second[2].visible and second[-1] != gr.skip()


@pytest.mark.slow
def test_building_the_app_imports_neither_torch_nor_timm(workspace):
    """The first page is served in seconds: handlers import torch, timm and matplotlib when first used."""
    code = (
        "import sys; from cnnapp.ui import build_app; build_app(); "
        "print([m for m in ('torch', 'timm', 'matplotlib') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_cifar10_button(workspace, tmp_path, monkeypatch):
    import torchvision.datasets.utils
    from test_examples import make_archive

    from cnnapp.data import examples

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(torchvision.datasets.utils, "download_url", no_network)
    state, summary, *_, notice, _, _ = data_tab.use_cifar10(workspace, default_dataset())
    assert state == gr.skip() and "Fashion-MNIST mini" in summary and "Still using" in notice
    assert re.search(r"CIFAR-10 could not be downloaded .*offline\?", notice) and "\n" not in notice
    assert "--" not in notice and "python -m" not in notice and "the cnnapp command line (see the README)" in notice
    archive = tmp_path / "cifar-10-python.tar.gz"
    make_archive(archive)
    monkeypatch.setattr(examples, "download_cifar10", lambda folder: archive)
    state, summary, counts, *_ = data_tab.use_cifar10(workspace)
    assert state["name"] == data_tab.CIFAR_NAME and "10 classes" in summary and "for testing" in summary
    assert Path(state["path"]).is_relative_to(workspace / "datasets" / f"cifar10-{data_tab.CIFAR_PER_CLASS}")
    monkeypatch.setattr(examples, "write_cifar10", lambda *a, **k: pytest.fail("written twice"))
    assert data_tab.use_cifar10(workspace)[0]["path"] == state["path"]


def test_resume_is_offered_for_runs_that_ended_early(workspace):
    run = RunDir.create("lenet5", workspace)
    run.file("config.json").write_text('{"arch": "lenet5", "epochs": 2}')
    run.update_status(state="interrupted", created=time.time(), message="killed")
    *_, resume, _ = runs_tab.details(workspace, run.id)
    assert resume.visible and "no checkpoint" in resume.value
    run.file("checkpoint.pt").write_bytes(b"")
    assert "last checkpoint" in runs_tab.details(workspace, run.id)[-2].value
    run.update_status(state="completed")
    assert not runs_tab.details(workspace, run.id)[-2].visible
    with pytest.raises(gr.Error, match="no run selected"):
        user_errors(runs_tab.resume)(JobManager(workspace), None)


# triggers that are a person's one action (a click, an upload, Enter), or fire once (the page's load), or come again
# (a timer): dropping a second one while the first runs loses nothing
ACTIONS = {"click", "upload", "submit", "load", "tick", "select", "clear", "then", "success", "failure"}


def _follows(triggers: set[str]) -> bool:
    """Whether these triggers follow a value: one of them is not an action, or the page's load comes with others."""
    return bool(triggers - ACTIONS) or ("load" in triggers and len(triggers) > 1)


def test_no_panel_drops_the_newest_values_of_what_it_follows(workspace):
    """A panel following a value (change, input, release, blur) or several triggers must run again with the newest
    values: gradio's default for these ("once") drops a trigger that comes while the handler runs, and the panel keeps
    showing the state before it (seen: the Train tab kept describing the example after a reload restored an upload)."""
    demo = build_app(workspace)
    dropping = [
        (fn.name, sorted({t[1] for t in fn.targets}))
        for fn in demo.fns.values()
        if fn.trigger_mode == "once" and _follows({t[1] for t in fn.targets})
    ]
    assert dropping == []
