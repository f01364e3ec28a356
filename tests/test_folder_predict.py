"""Classifying a folder or a .zip of images: the CSV, the files skipped, the sorted copies, and the same rows from the
command line, the HTTP API (`/predict_batch`) and the Predict tab."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import DEMO
from gradio_client import handle_file
from PIL import Image

from cnnapp import cli
from cnnapp.errors import ConfigError, DataError
from cnnapp.models.factory import create_model
from cnnapp.models.registry import get_spec
from cnnapp.runs import RunDir
from cnnapp.serving.folder_predict import UNSURE, classify_folder, columns
from cnnapp.serving.inference import Predictor
from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train

CLASSES = ["bag", "sandal", "trouser"]


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    """A real LeNet-5 with its initial weights: what the folder logic needs, in milliseconds (no training)."""
    return Predictor(create_model("lenet5", len(CLASSES)), get_spec("lenet5"), CLASSES, 28, "untrained")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Six real pictures, two of them in a sub-folder (one with a name the top folder also has), a truncated JPEG,
    a text file and a picture's name on bytes that are no picture."""
    root = tmp_path / "pictures"
    (root / "sub").mkdir(parents=True)
    pictures = [sorted((DEMO / name).iterdir())[:2] for name in CLASSES]
    for f in pictures[0] + pictures[1]:
        shutil.copy(f, root / f.name)
    shutil.copy(pictures[2][0], root / "sub" / pictures[0][0].name)  # the same name as a top-level picture
    shutil.copy(pictures[2][1], root / "sub" / pictures[2][1].name)
    jpeg = io.BytesIO()
    Image.open(pictures[0][0]).convert("RGB").resize((200, 200)).save(jpeg, "JPEG")
    (root / "sub" / "truncated.jpg").write_bytes(jpeg.getvalue()[:300])
    (root / "notes.txt").write_text("not a picture")
    (root / "fake.png").write_text("not a picture either")
    return root


def read_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def classify(predictor: Predictor, source: Path, **options) -> tuple[list[dict[str, str]], object]:
    out = io.StringIO()
    result = classify_folder(predictor, source, out, **options)
    return read_rows(out.getvalue()), result


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_folder_gives_one_row_per_good_image_and_lists_the_bad_files_with_why(predictor, folder):
    rows, result = classify(predictor, folder, top_k=2)
    good = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.png") if p.name != "fake.png")
    assert sorted(r["path"] for r in rows) == good and result.images == 6
    assert list(rows[0]) == columns(2) == ["path", "label", "confidence", "top2_label", "top2_conf"]
    reasons = {entry["path"]: entry["reason_code"]["code"] for entry in result.skipped}
    assert reasons == {
        "fake.png": "image.not_image",
        "notes.txt": "skip.not_image",
        "sub/truncated.jpg": "image.corrupt",
    }
    expected = predictor.predict([folder / r["path"] for r in rows], top_k=2)
    for row, top in zip(rows, expected):  # the batched pass answers as one image at a time does
        assert (row["label"], row["top2_label"]) == (top[0][0], top[1][0])
        assert float(row["confidence"]) == pytest.approx(top[0][1], abs=1e-5)
        assert float(row["confidence"]) >= float(row["top2_conf"])


def test_sorting_copies_every_image_exactly_once_with_the_unsure_below_the_threshold(predictor, folder, tmp_path):
    rows, _ = classify(predictor, folder)
    threshold = sorted(float(r["confidence"]) for r in rows)[3]  # some sure, some unsure
    out = tmp_path / "sorted"
    rows, result = classify(predictor, folder, sort_dir=out, min_confidence=threshold)
    copies = sorted(p for p in out.rglob("*") if p.is_file())
    assert sorted(digest(p) for p in copies) == sorted(digest(folder / r["path"]) for r in rows)
    placed: dict[str, list[str]] = {}
    for p in copies:
        placed.setdefault(p.parent.name, []).append(digest(p))
    for r in rows:  # each image in its class's folder, or in unsure/ below the threshold
        where = UNSURE if float(r["confidence"]) < threshold else r["label"]
        assert digest(folder / r["path"]) in placed[where]
    assert 0 < len(placed[UNSURE]) < len(rows)
    assert sum(result.sorted.values()) == len(rows) == len(copies)


def test_a_second_sort_into_the_same_folder_keeps_both_copies_under_new_names(predictor, folder, tmp_path):
    out = tmp_path / "sorted"
    classify(predictor, folder, sort_dir=out)
    classify(predictor, folder, sort_dir=out)
    copies = [p for p in out.rglob("*") if p.is_file()]
    assert len(copies) == 12 and any(p.stem.endswith("-2") for p in copies)


def test_a_zip_gives_the_same_rows_as_its_folder(predictor, folder, tmp_path):
    archive = Path(shutil.make_archive(str(tmp_path / "pictures"), "zip", folder))
    from_folder, _ = classify(predictor, folder, top_k=3)
    from_zip, result = classify(predictor, archive, top_k=3)
    assert from_zip == from_folder
    assert {e["path"] for e in result.skipped} == {"fake.png", "notes.txt", "sub/truncated.jpg"}


@pytest.mark.parametrize("content", ["nothing", "no pictures"])
def test_an_empty_or_pictureless_folder_is_one_line_error(predictor, tmp_path, content):
    empty = tmp_path / "empty"
    empty.mkdir()
    if content == "no pictures":
        (empty / "readme.txt").write_text("hello")
        (empty / "broken.jpg").write_bytes(b"\xff\xd8 no")
    out = io.StringIO()
    with pytest.raises(DataError, match="no image to classify in empty") as caught:
        classify_folder(predictor, empty, out)
    assert "\n" not in str(caught.value) and out.getvalue() == ""  # no header for nothing


def test_a_file_that_is_no_folder_or_zip_a_bad_threshold_and_sorting_into_the_input_are_refused(predictor, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("hello")
    with pytest.raises(DataError, match="is not a folder or a .zip"):
        classify_folder(predictor, note, io.StringIO())
    with pytest.raises(ConfigError, match="between 0 and 1"):
        classify_folder(predictor, tmp_path, io.StringIO(), min_confidence=1.5)
    with pytest.raises(ConfigError, match="cannot go inside the folder being classified"):
        classify_folder(predictor, tmp_path, io.StringIO(), sort_dir=tmp_path / "sorted")


# A trained run for the faces (a real training: seconds), trained once for the module.
@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    home = tmp_path_factory.mktemp("home")
    data = home / "data"
    for name in CLASSES:
        (data / name).mkdir(parents=True)
        for f in sorted((DEMO / name).iterdir())[:8]:
            shutil.copy(f, data / name / f.name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNAPP_HOME", str(home))
        run, status = train(TrainConfig(data=str(data), arch="lenet5", epochs=1, batch_size=16), progress=False)
    assert status["state"] == "completed", status
    return run


def in_workspace(run: RunDir, workspace: Path) -> str:
    """The trained run copied into this test's workspace; its id."""
    shutil.copytree(run.path, workspace / "runs" / run.id)
    return run.id


@pytest.mark.slow
def test_the_command_line_writes_the_csv_sorts_and_lists_bad_files(trained, folder, tmp_path, capsys):
    out, sorted_dir = tmp_path / "results.csv", tmp_path / "sorted"
    argv = ["predict", "--run", str(trained.path), str(folder), "--out", str(out), "--sort", str(sorted_dir)]
    assert cli.main([*argv, "--min-confidence", "0.6", "--top-k", "2", "--quiet"]) == 0
    rows = read_rows(out.read_text())
    assert len(rows) == 6 and list(rows[0]) == columns(2)
    err = capsys.readouterr().err
    assert "skipped: sub/truncated.jpg: truncated or corrupt image" in err and "6 image(s) classified" in err
    assert len([p for p in sorted_dir.rglob("*") if p.is_file()]) == 6
    assert cli.main(["predict", "--run", str(trained.path), str(tmp_path / "results.csv"), "--sort", "x"]) == 2
    assert cli.main(["predict", "--run", str(trained.path), str(folder / "sub" / "truncated.jpg")]) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["predict", "--run", str(trained.path), str(empty)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: no image to classify in empty (0 file(s) skipped, none of them a usable image)"
    )


@pytest.mark.slow
def test_predict_batch_over_http_returns_the_command_lines_rows(trained, folder, tmp_path, live_app, workspace, capsys):
    archive = Path(shutil.make_archive(str(tmp_path / "pictures"), "zip", folder))
    assert cli.main(["predict", "--run", str(trained.path), str(archive), "--top-k", "3", "--quiet"]) == 0
    from_cli = read_rows(capsys.readouterr().out)
    run_id = in_workspace(trained, workspace)
    csv_file, skipped = live_app.client.predict(handle_file(archive), run_id, 3, api_name="/predict_batch")
    from_api = read_rows(Path(csv_file).read_text())
    assert [(r["path"], r["label"], r["top2_label"]) for r in from_api] == [
        (r["path"], r["label"], r["top2_label"]) for r in from_cli
    ]
    for api_row, cli_row in zip(from_api, from_cli):  # the server's traced fast path rounds a little differently
        assert float(api_row["confidence"]) == pytest.approx(float(cli_row["confidence"]), abs=2e-3)
    assert {s["file"] for s in skipped} == {"fake.png", "notes.txt", "sub/truncated.jpg"}
    with pytest.raises(Exception, match="is not a zip archive"):
        live_app.client.predict(handle_file(folder / "notes.txt"), run_id, 3, api_name="/predict_batch")


@pytest.mark.slow
def test_the_predict_tab_classifies_an_uploaded_zip(trained, folder, tmp_path, workspace):
    from cnnapp.ui.predict_tab import classify_archive

    archive = Path(shutil.make_archive(str(tmp_path / "pictures"), "zip", folder))
    run_id = in_workspace(trained, workspace)
    summary, table, csv_button, sorted_button, skipped = classify_archive(workspace, str(archive), run_id, 2, 0.0)
    assert "**6** picture(s) classified, 3 file(s) skipped" in summary
    assert len(table) == 6 and list(table.columns) == ["picture", "prediction", "confidence", "next best"]
    assert sorted(skipped["picture"]) == ["fake.png", "notes.txt", "sub/truncated.jpg"]
    with zipfile.ZipFile(sorted_button.value["path"]) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
    assert len(names) == 6 and {n.split("/")[0] for n in names} <= set(CLASSES)
    assert len(read_rows(Path(csv_button.value["path"]).read_text())) == 6
    with pytest.raises(DataError, match="No .zip to classify"):
        classify_archive(workspace, None, run_id, 2, 0.5)
