import io
import json
import shutil
import zipfile

import numpy as np
import pytest
from PIL import Image
from torchvision.datasets import ImageFolder

from cnnapp.data.images import load_rgb, load_square_array
from cnnapp.data.ingest import Dataset, ingest
from cnnapp.errors import DataError, IngestError
from cnnapp.messages import Message, msg
from tests.conftest import random_image


def _make_classes(root, classes, n=6, size=(20, 20), seed=0):
    for ci, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            random_image(root / name / f"img_{i}.png", size, seed=seed + ci * 100 + i)
    return root


def test_class_mapping_matches_torchvision_imagefolder(tmp_path):
    root = _make_classes(tmp_path / "flat", ["zebra", "Apple", "mango", "b_10", "b_9"])
    ds = ingest(root)
    assert {c: i for i, c in enumerate(ds.classes)} == ImageFolder(str(root)).class_to_idx
    split = tmp_path / "split"
    _make_classes(split / "train", ["dog", "cat", "bird"])
    _make_classes(split / "val", ["dog", "cat", "bird"], n=2, seed=5000)
    ds = ingest(split)
    assert ds.layout == "splits" and ds.val_source == "folder"
    assert {c: i for i, c in enumerate(ds.classes)} == ImageFolder(str(split / "train")).class_to_idx
    folder = ImageFolder(str(split / "val"))
    ours = sorted((p.replace("\\", "/"), label) for p, label in ds.splits["val"])
    theirs = sorted((str(__import__("pathlib").Path(p).relative_to(split)), label) for p, label in folder.samples)
    assert ours == theirs


def test_junk_is_skipped_with_reasons(tmp_path):
    root = _make_classes(tmp_path / "d", ["a", "b"])
    (root / "__MACOSX" / "a").mkdir(parents=True)
    (root / "__MACOSX" / "a" / "._img_0.png").write_bytes(b"\x00\x05")
    (root / "a" / ".DS_Store").write_bytes(b"bud1")
    (root / "a" / "Thumbs.db").write_bytes(b"x")
    (root / "a" / "notes.txt").write_text("hello")
    (root / "a" / "fake.jpg").write_text("this is not a jpeg")
    good = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(good, "JPEG")
    (root / "b" / "truncated.jpg").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    (root / "b" / "empty.png").write_bytes(b"")
    (root / "readme.md").write_text("stray file")
    random_image(root / "stray.png")
    ds = ingest(root)
    reasons = {r["path"].replace("\\", "/"): r["reason"] for r in ds.skipped}
    assert reasons["a/.DS_Store"].startswith("hidden")
    assert reasons["a/Thumbs.db"] == "operating-system file"
    assert reasons["a/notes.txt"] == "not an image file (.txt)"
    assert "not a valid image" in reasons["a/fake.jpg"]
    assert "truncated or corrupt" in reasons["b/truncated.jpg"]
    assert "b/empty.png" in reasons
    assert reasons["readme.md"] == "not an image file (.md)"
    assert reasons["stray.png"] == "not inside a class folder"
    assert reasons["__MACOSX"] == "macOS resource-fork folder"
    assert ds.classes == ["a", "b"] and sum(len(s) for s in ds.splits.values()) == 12


def test_every_pil_mode_becomes_rgb_and_exif_orientation_is_applied(tmp_path):
    base = np.random.default_rng(0).integers(0, 255, (10, 20, 3), dtype=np.uint8)
    modes = {"L": "png", "P": "png", "RGBA": "png", "CMYK": "jpg", "LA": "png", "1": "png"}
    for mode, ext in modes.items():
        path = tmp_path / f"{mode}.{ext}"
        Image.fromarray(base).convert(mode).save(path)
        im = load_rgb(path)
        assert im.mode == "RGB" and im.size == (20, 10)
    deep = tmp_path / "deep.png"
    Image.fromarray(np.arange(200, dtype=np.uint16).reshape(10, 20) * 300).save(deep)
    arr = np.asarray(load_rgb(deep))
    assert arr.dtype == np.uint8 and arr.max() > 200 and arr[0, 0, 0] == 0
    transparent = Image.new("P", (4, 4), 0)
    transparent.info["transparency"] = 0
    transparent.save(tmp_path / "t.png", transparency=0)
    assert np.asarray(load_rgb(tmp_path / "t.png")).min() == 255
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    Image.fromarray(base).save(tmp_path / "rot.jpg", exif=exif)
    assert load_rgb(tmp_path / "rot.jpg").size == (10, 20)
    assert load_square_array(tmp_path / "rot.jpg", 16).shape == (16, 16, 3)


def test_zip_with_wrapper_folder_and_test_split(tmp_path, workspace):
    src = tmp_path / "src" / "my data"
    _make_classes(src / "train", ["cat", "dog"], n=10)
    _make_classes(src / "test", ["cat", "dog"], n=3, seed=5000)
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted((tmp_path / "src").rglob("*")):
            zf.write(f, f.relative_to(tmp_path / "src"))
        zf.writestr("__MACOSX/my data/._x", b"junk")
    ds = ingest(archive)
    assert ds.classes == ["cat", "dog"] and set(ds.splits) == {"train", "val", "test"}
    assert len(ds.splits["test"]) == 6 and len(ds.splits["val"]) == 4 and len(ds.splits["train"]) == 16
    assert ds.root.startswith(str(workspace))
    assert ingest(archive).root == ds.root  # extracted once, reused


def test_stratified_seeded_split(tmp_path):
    root = _make_classes(tmp_path / "d", ["a", "b", "c"], n=10)
    one, two, other = ingest(root, seed=1), ingest(root, seed=1), ingest(root, seed=2)
    assert one.splits == two.splits and one.splits != other.splits
    assert all(n == 2 for n in one.counts()["val"].values())
    assert not set(one.splits["train"]) & set(one.splits["val"])


def test_report_round_trip_and_warnings(tmp_path):
    root = _make_classes(tmp_path / "d", ["big", "tiny"], n=8)
    shutil.rmtree(root / "tiny")
    _make_classes(root, ["tiny"], n=3, seed=5000)
    shutil.copy(root / "big" / "img_0.png", root / "big" / "copy.png")
    ds = ingest(root)
    assert any("tiny" in w and "only 3" in w for w in ds.warnings)
    assert any("duplicate" in w for w in ds.warnings)
    assert any(r["reason"].startswith("duplicate of") for r in ds.skipped)
    ds.save(tmp_path / "ingest.json")
    report = json.loads((tmp_path / "ingest.json").read_text())
    assert report["counts"]["train"]["big"] + report["counts"]["val"]["big"] == 8
    assert Dataset.load(tmp_path / "ingest.json").splits == ds.splits


def test_skip_reasons_and_failures_carry_their_codes(tmp_path):
    root = _make_classes(tmp_path / "d", ["a", "b"])
    (root / "a" / "notes.txt").write_text("hello")
    (root / "a" / "fake.jpg").write_text("this is not a jpeg")
    shutil.copy(root / "b" / "img_0.png", root / "b" / "again.png")
    ds = ingest(root)
    assert all(str(Message.from_dict(r["reason_code"])) == r["reason"] for r in ds.skipped)
    codes = {r["path"].replace("\\", "/"): r["reason_code"]["code"] for r in ds.skipped}
    assert codes == {"a/notes.txt": "skip.not_image", "a/fake.jpg": "image.not_image", "b/img_0.png": "skip.duplicate"}
    assert ds.warnings[0] == "1 duplicate file(s) skipped"
    with pytest.raises(IngestError) as err:
        ingest(_make_classes(tmp_path / "one", ["solo"]))
    assert err.value.message == msg("data.one_class", name="solo")
    assert err.value.report["skipped"] == [] and err.value.report["classes"] == ["solo"]


def test_unusable_datasets_give_clear_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="no class folders"):
        ingest(tmp_path / "empty")
    with pytest.raises(IngestError, match="only one class"):
        ingest(_make_classes(tmp_path / "one", ["solo"]))
    bad = tmp_path / "bad"
    for c in ("a", "b"):
        (bad / c).mkdir(parents=True)
        (bad / c / "x.png").write_text("nope")
    with pytest.raises(IngestError, match="no valid images") as err:
        ingest(bad)
    assert len(err.value.report["skipped"]) == 2
    with pytest.raises(DataError, match="not found"):
        ingest(tmp_path / "missing")
    (tmp_path / "data.csv").write_text("a,b")
    with pytest.raises(DataError, match="not a folder or a .zip"):
        ingest(tmp_path / "data.csv")


def test_junk_beside_a_wrapping_folder_is_reported(tmp_path):
    src = tmp_path / "src"
    _make_classes(src / "photos", ["cat", "dog"])
    archive = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(src.rglob("*.png")):
            zf.write(f, f.relative_to(src))
        zf.writestr("__MACOSX/photos/cat/._img_0.png", b"junk")
        zf.writestr(".DS_Store", b"bud1")
    ds = ingest(archive)
    reasons = {r["path"]: r["reason"] for r in ds.skipped}
    assert reasons == {"__MACOSX": "macOS resource-fork folder", ".DS_Store": "hidden file or folder"}
    assert all(rel.startswith("photos/") for rel, _ in ds.splits["train"])


def test_errors_name_the_upload_not_server_paths(tmp_path, workspace):
    archive = tmp_path / "holiday photos.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("notes.txt", "no images here")
    with pytest.raises(IngestError) as err:
        ingest(archive)
    assert "'holiday photos.zip'" in str(err.value) and str(workspace) not in str(err.value)


@pytest.mark.parametrize("forked", [False, True], ids=["threads", "forked processes"])
def test_a_training_ingests_each_image_once_into_its_cache(tmp_path, monkeypatch, forked):
    """With the training's size, ingestion checks and decodes every file in one pass (forked processes on every
    core for many files, sharing the cache's memory); the cache holds what decoding each file alone gives."""
    import cnnapp.data.checking

    root = _make_classes(tmp_path / "data", ["a", "b", "c"], n=8, size=(40, 30))
    (root / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    shutil.copy(root / "b" / "img_0.png", root / "b" / "again.png")
    monkeypatch.setattr(cnnapp.data.checking, "FORK_MIN_FILES", 1 if forked else 10**9)
    monkeypatch.setattr(cnnapp.data.checking, "CHUNK", 5)
    seen = []
    ds = ingest(root, size=24, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 26) and seen[-1] == (26, 26) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    reasons = {r["path"]: r["reason"] for r in ds.skipped}
    assert "not a valid image" in reasons["a/broken.png"] and reasons["b/img_0.png"].startswith("duplicate of")
    assert ds.report() == ingest(root).report(), "the report differs from a plain ingestion's"
    for split, samples in ds.splits.items():
        cache = ds.decoded.split(samples)
        got = cache.take(list(range(len(samples))))
        want = np.stack([load_square_array(root / rel, 24) for rel, _ in samples])
        assert np.array_equal(got, want), split
