"""The 'Make your own' panel and the live camera's handlers on real pictures and models, without a browser."""

from __future__ import annotations

import base64
import functools
import io
import zipfile
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from cnnapp.ui import build_app, builder_panel, data_tab, live_panel


def camera_frames(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (240, 320, 3), dtype=np.uint8) for _ in range(n)]


def data_url(frame: np.ndarray) -> str:
    """A frame as the browser's snapshot script sends it."""
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def start(root: Path, *classes: str) -> str:
    """A new dataset with these classes (the last one picked); returns its folder as the browser keeps it."""
    folder = None
    for name in classes:
        folder, radio, status, gallery, names, cleared = builder_panel.add_class(root, folder, "pets", name)
        assert radio.value == name and cleared == ""
    return folder


def test_adding_classes_starts_a_dataset_and_lists_the_counts(workspace):
    folder, radio, status, gallery, names, _ = builder_panel.add_class(workspace, None, "pets", " cat ")
    assert Path(folder).parent == workspace / "datasets" and Path(folder).name.startswith("made-pets-")
    assert radio.choices == [("cat · 0", "cat")] and radio.value == "cat" and gallery == [] and names == []
    assert "1 class(es) · 0 picture(s)" in status and "add at least 2 classes" in status
    folder2, radio, *_ = builder_panel.add_class(workspace, folder, "ignored once started", "dog")
    assert folder2 == folder and [v for _, v in radio.choices] == ["cat", "dog"] and radio.value == "dog"
    for bad, reason in [("../x", "cannot be a folder name"), ("CAT", "already a class"), ("", "empty")]:
        with pytest.raises(gr.Error, match=reason):
            builder_panel.add_class(workspace, folder, "pets", bad)


def test_snapshots_uploads_pastes_and_bursts_land_in_the_chosen_class(workspace, photos, tmp_path):
    folder = start(workspace, "cat", "dog")
    frames = camera_frames(8)
    *shown, cleared = builder_panel.add_snapshot(workspace, folder, "cat", data_url(frames[0]))
    assert shown[1].choices[0] == ("cat · 1", "cat") and len(shown[3]) == 1 and shown[3][0][1] == "#1" and cleared == ""
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really")
    with pytest.warns(UserWarning, match="broken.jpg: not a valid image"):
        *shown, cleared = builder_panel.add_files(workspace, folder, "cat", [str(photos["chelsea"]), str(broken)])
    assert shown[1].choices[0] == ("cat · 2", "cat") and cleared is None
    *shown, cleared = builder_panel.add_pasted(workspace, folder, "dog", frames[1])
    assert shown[1].choices[1] == ("dog · 1", "dog") and cleared is None
    refreshed = [builder_panel.add_burst_frame(workspace, folder, "dog", frame) for frame in frames[2:8]]
    assert [r[1].choices[1][0] for r in refreshed] == [f"dog · {n}" for n in range(2, 8)]
    assert [isinstance(r[3], list) for r in refreshed] == [False, False, True, False, False, False]  # at 4 pictures
    assert len(refreshed[2][3]) == 4 and refreshed[0][3] == gr.skip()
    assert builder_panel.add_burst_frame(workspace, folder, None, frames[0])[2].startswith("⚠ pick a class")
    with pytest.raises(gr.Error, match="camera is off"):
        builder_panel.add_snapshot(workspace, folder, "cat", "")
    with pytest.raises(gr.Error, match="pick a class first"):
        builder_panel.add_snapshot(workspace, folder, None, data_url(frames[0]))
    with pytest.raises(gr.Error, match="could not be read"):
        builder_panel.add_snapshot(workspace, folder, "cat", "data:image/jpeg;base64,@@@")


def test_a_selected_picture_is_deleted_and_classes_renamed_or_deleted(workspace):
    folder = start(workspace, "cat", "dog")
    for frame in camera_frames(3):
        builder_panel.add_pasted(workspace, folder, "cat", frame)
    _, _, _, gallery, names = builder_panel.view(workspace, folder, "cat")
    assert [caption for _, caption in gallery] == ["#3", "#2", "#1"] and len(names) == 3
    picked = builder_panel.select_picture(names, gr.SelectData(None, {"index": 1, "value": None}))
    assert picked == names[1]
    *shown, cleared = builder_panel.delete_picture(workspace, folder, "cat", picked)
    assert shown[4] == [names[0], names[2]] and cleared is None
    with pytest.raises(gr.Error, match="select a picture"):
        builder_panel.delete_picture(workspace, folder, "cat", None)
    *shown, cleared = builder_panel.rename_class(workspace, folder, "cat", "kitten")
    assert shown[1].value == "kitten" and [v for _, v in shown[1].choices] == ["dog", "kitten"] and len(shown[4]) == 2
    shown = builder_panel.delete_class(workspace, folder, "dog")
    assert [v for _, v in shown[1].choices] == ["kitten"] and shown[1].value == "kitten"


def test_the_dataset_downloads_as_a_zip_and_is_chosen_like_an_upload(workspace):
    folder = start(workspace, "cat", "dog")
    for i, name in enumerate(["cat", "dog"]):
        for frame in camera_frames(6, seed=i):
            builder_panel.add_pasted(workspace, folder, name, frame)
    renamed = builder_panel.rename_dataset(workspace, folder, "my pets")
    assert (
        Path(renamed).name.startswith("made-my pets-") and builder_panel.dataset_name(workspace, renamed) == "my pets"
    )
    download = builder_panel.download(workspace, renamed)
    with zipfile.ZipFile(download.value["path"]) as zf:
        assert len(zf.namelist()) == 12 and zf.namelist()[0].startswith("my pets/cat/")
    state, summary, counts, *_ = builder_panel.use(
        workspace, functools.partial(data_tab.choose_path, workspace), renamed
    )
    assert state["name"] == "my pets" and state["source"].endswith("my pets.zip")
    assert Path(state["path"]).is_relative_to(workspace / "datasets")
    assert "2 classes · 12 images" in summary and counts["total"].tolist() == [6, 6]


def test_nothing_is_done_for_a_missing_or_foreign_dataset(workspace, tmp_path):
    for folder in (None, str(tmp_path), "/etc"):
        assert builder_panel.view(workspace, folder)[0] is None
        with pytest.raises(gr.Error, match="no dataset yet"):
            builder_panel.download(workspace, folder)
    assert builder_panel.dataset_name(workspace, "/etc") == gr.skip()
    assert not (tmp_path / "cat").exists()


def _handler(demo: gr.Blocks, func) -> object:
    for fn in demo.fns.values():
        inner = fn.fn
        while hasattr(inner, "__wrapped__") or isinstance(inner, functools.partial):
            inner = inner.func if isinstance(inner, functools.partial) else inner.__wrapped__
        if inner is func:
            return fn
    raise AssertionError(f"{func.__name__} is not wired")


def test_the_camera_streams_are_wired_for_live_updates(workspace):
    demo = build_app(workspace)
    live = _handler(demo, live_panel.classify_frame)
    assert live.stream_every <= 0.2 and live.time_limit >= 60 and live.api_visibility == "private"
    burst = _handler(demo, builder_panel.add_burst_frame)
    assert burst.stream_every <= 0.5


@pytest.mark.slow
def test_a_camera_frame_is_classified(workspace, photos):
    cat = np.asarray(Image.open(photos["chelsea"]).resize((320, 240)))
    top = live_panel.classify_frame(workspace, cat, "imagenet:tf_efficientnet_lite0", 3)
    assert len(top) == 3 and any("cat" in label for label in list(top)[:2]), top
    assert live_panel.classify_frame(workspace, None, "imagenet:tf_efficientnet_lite0", 3) is None
    assert live_panel.classify_frame(workspace, cat, None, 3) is None
