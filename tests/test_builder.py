"""The dataset builder on real pictures: classes, examples, warnings, and the `.zip` ingested like an upload."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from PIL import Image

from cnnapp.data.builder import MAX_SIDE, MIN_PER_CLASS, Builder, check_name
from cnnapp.data.ingest import ingest, resolve_source
from cnnapp.errors import DataError


def frames(n: int, seed: int = 0, size: tuple[int, int] = (480, 640)) -> list[np.ndarray]:
    """Camera-sized random frames (distinct, so that ingestion keeps them all)."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 255, (*size, 3), dtype=np.uint8) for _ in range(n)]


def test_classes_are_added_renamed_and_deleted(workspace):
    made = Builder.create("pets", workspace)
    assert made.folder.parent == workspace / "datasets" and made.folder.name.startswith("made-pets-")
    assert made.add_class("  cat ") == "cat" and made.add_class("perro niño") == "perro niño"
    assert made.classes() == ["cat", "perro niño"]
    made.add_examples("cat", frames(2))
    assert made.rename_class("cat", "kitten") == "kitten"
    assert made.counts() == {"kitten": 2, "perro niño": 0}
    assert made.rename_class("kitten", "Kitten") == "Kitten" and made.counts()["Kitten"] == 2
    made.delete_class("perro niño")
    assert made.classes() == ["Kitten"] and not (made.folder / "perro niño").exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("../evil", "cannot be a folder name"),
        ("a/b", "cannot be a folder name"),
        (".hidden", "cannot be a folder name"),
        ("_x", "cannot be a folder name"),
        ("dot.", "cannot be a folder name"),
        ("train", "reserved for dataset splits"),
        ("Validation", "reserved for dataset splits"),
        ("x" * 41, "too long"),
    ],
)
def test_unsafe_class_names_are_refused_with_a_reason(name, reason):
    with pytest.raises(DataError, match=reason):
        check_name(name)


def test_duplicate_and_unknown_classes_are_refused(workspace):
    made = Builder.create("d", workspace)
    made.add_class("cat")
    with pytest.raises(DataError, match="already a class 'CAT'"):
        made.add_class("CAT")
    made.add_class("dog")
    with pytest.raises(DataError, match="already a class 'dog'"):
        made.rename_class("cat", "dog")
    with pytest.raises(DataError, match="no class 'bird'"):
        made.add_examples("bird", frames(1))
    with pytest.raises(DataError, match="no class 'bird'"):
        made.delete_class("bird")
    assert made.classes() == ["cat", "dog"]


def test_examples_are_saved_as_small_jpegs_and_deleted(workspace, demo_dir, photos, tmp_path):
    made = Builder.create("d", workspace)
    made.add_class("cat")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    grey = np.full((40, 30), 128, dtype=np.uint8)
    items = [*frames(1), Image.open(photos["chelsea"]), str(photos["coffee"]), grey, broken]
    added, problems = made.add_examples("cat", items)
    assert added == 4 and len(problems) == 1 and problems[0].startswith("broken.png: not a valid image")
    saved = made.examples("cat")
    assert len(saved) == 4 and all(p.suffix == ".jpg" for p in saved)
    sizes = [Image.open(p).size for p in saved]
    assert sizes[0] == (MAX_SIDE, MAX_SIDE * 3 // 4) and sizes[3] == (30, 40)
    assert all(Image.open(p).mode == "RGB" for p in saved)
    made.delete_example("cat", saved[1].name)
    assert made.examples("cat") == [saved[0], *saved[2:]]
    with pytest.raises(DataError, match="not an example"):
        made.delete_example("cat", "../../runs")
    with pytest.raises(DataError, match="not an example"):
        made.delete_example("cat", saved[1].name)


def test_warnings_below_the_minimum(workspace):
    made = Builder.create("d", workspace)
    assert made.warnings() == ["add at least 2 classes (you have 0)"]
    made.add_class("a")
    made.add_class("b")
    made.add_examples("a", frames(MIN_PER_CLASS, seed=1, size=(32, 32)))
    made.add_examples("b", frames(3, seed=2, size=(32, 32)))
    assert made.warnings() == [f"class 'b' has 3 image(s); add at least {MIN_PER_CLASS} (20+ is better)"]
    made.add_examples("b", frames(MIN_PER_CLASS - 3, seed=3, size=(32, 32)))
    assert made.warnings() == []


def test_the_zip_round_trips_through_ingestion(workspace):
    made = Builder.create("my set", workspace)
    for i, name in enumerate(["cat", "dog"]):
        made.add_class(name)
        made.add_examples(name, frames(6, seed=i, size=(48, 64)))
    archive = made.export_zip()
    assert archive.name == "my set.zip" and archive.is_relative_to(workspace / "datasets")
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
    assert len(names) == 12 and all(n.startswith(("my set/cat/", "my set/dog/")) for n in names)
    assert made.export_zip() == archive  # same content → same file
    folder, skipped = resolve_source(archive, workspace)
    found = ingest(folder)
    assert found.classes == ["cat", "dog"] and skipped == []
    assert sum(len(s) for s in found.splits.values()) == 12 and not found.skipped
    made.add_examples("dog", frames(1, seed=9, size=(48, 64)))
    assert made.export_zip() != archive


def test_an_empty_dataset_cannot_be_exported(workspace):
    made = Builder.create("d", workspace)
    made.add_class("a")
    with pytest.raises(DataError, match="no pictures yet"):
        made.export_zip()


def test_only_made_folders_of_the_workspace_open(workspace, tmp_path):
    made = Builder.create("d", workspace)
    assert Builder.open(str(made.folder), workspace).folder == made.folder
    outside = tmp_path / made.folder.name
    outside.mkdir()
    for bad in (None, "", str(outside), str(workspace / "datasets"), str(made.folder / "..")):
        assert Builder.open(bad, workspace) is None
    renamed = made.renamed("better name")
    assert renamed.name == "better name" and renamed.folder.is_dir() and not made.folder.exists()
    assert Builder.open(str(made.folder), workspace) is None
    with pytest.raises(DataError, match="cannot be a folder name"):
        renamed.renamed("../x")


def test_the_builder_is_capped_per_class_and_in_all_with_a_clear_message(workspace, monkeypatch):
    """150 snapshots in 29 s were accepted with no cap; now each class and the whole dataset have one."""
    monkeypatch.setenv("CNNAPP_BUILDER_MAX_PER_CLASS", "5")
    monkeypatch.setenv("CNNAPP_BUILDER_MAX_PICTURES", "8")
    made = Builder.create("caps")
    made.add_class("a")
    made.add_class("b")
    frame = np.full((40, 40, 3), 128, np.uint8)
    added, problems = made.add_examples("a", [frame] * 7)
    assert added == 5 and len(problems) == 1
    assert "'a' holds 5 pictures" in problems[0] and "CNNAPP_BUILDER_MAX_PER_CLASS" in problems[0]
    added, problems = made.add_examples("b", [frame] * 7)
    assert added == 3 and "holds 8 pictures" in problems[0] and "CNNAPP_BUILDER_MAX_PICTURES" in problems[0]
    assert made.counts() == {"a": 5, "b": 3}
    made.delete_example("a", made.examples("a")[0].name)
    assert made.add_examples("b", [frame]) == (1, []), "deleting makes room again"


def test_a_full_class_says_why_while_the_camera_records(workspace, monkeypatch):
    from cnnapp.ui import builder_panel

    monkeypatch.setenv("CNNAPP_BUILDER_MAX_PER_CLASS", "2")
    made = Builder.create("burst")
    made.add_class("a")
    frame = np.full((40, 40, 3), 50, np.uint8)
    for _ in range(3):
        shown = builder_panel.add_burst_frame(workspace, str(made.folder), "a", frame)
    assert len(made.examples("a")) == 2 and "'a' holds 2 pictures" in shown[2]
