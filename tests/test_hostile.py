"""Hostile and broken uploads, generated here: each is refused with a clear error or skipped with its reason."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnapp.data.archive import ZipLimits, extract_zip
from cnnapp.data.images import load_rgb
from cnnapp.data.ingest import ingest
from cnnapp.errors import DataError, IngestError


def png_bytes(seed: int, size: int = 16, mode: str = "RGB") -> bytes:
    arr = np.random.default_rng(seed).integers(0, 255, (size, size, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).convert(mode).save(buf, "PNG")
    return buf.getvalue()


def make_zip(path: Path, entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def two_classes(n: int = 6, prefix: str = "") -> dict[str, bytes]:
    return {f"{prefix}{c}/{i}.png": png_bytes(ci * 100 + i) for ci, c in enumerate(("cat", "dog")) for i in range(n)}


def test_path_traversal_absolute_and_symlink_entries_never_escape(tmp_path, workspace):
    outside = tmp_path / "outside"
    outside.mkdir()
    entries = {
        **two_classes(),
        "../escape.png": png_bytes(1),
        "../../escape2.png": png_bytes(2),
        f"{outside}/abs.png": png_bytes(3),
        "cat/../../../../escape3.png": png_bytes(4),
    }
    archive = make_zip(tmp_path / "evil.zip", entries, symlinks={"cat/link.png": "/etc/passwd", "dog/up": "../../.."})
    ds = ingest(archive)
    reasons = {r["path"]: r["reason"] for r in ds.skipped}
    assert "escape the extraction folder" in reasons["../escape.png"]
    assert "escape the extraction folder" in reasons[f"{outside}/abs.png"]
    assert "escape the extraction folder" in reasons["cat/../../../../escape3.png"]
    assert reasons["cat/link.png"] == "symbolic link; not extracted"
    assert sorted(p.name for p in outside.iterdir()) == []
    assert not list(tmp_path.glob("escape*")) and not list(workspace.glob("escape*"))
    written = [p for p in tmp_path.rglob("*") if p.is_file() and not str(p).startswith(str(workspace))]
    assert sorted(p.name for p in written) == ["evil.zip"]
    assert all(not p.is_symlink() for p in Path(ds.root).rglob("*"))
    assert len(ds.splits["train"]) + len(ds.splits["val"]) == 12


def test_zip_bombs_are_refused(tmp_path, monkeypatch):
    bomb = make_zip(tmp_path / "bomb.zip", {**two_classes(), "cat/zeros.png": b"\0" * (50 * 1024**2)})
    with pytest.raises(DataError, match="zip bomb"):
        extract_zip(bomb, tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.png"))
    monkeypatch.setenv("CNNAPP_ZIP_MAX_FILES", "5")
    with pytest.raises(DataError, match="more than 5 files"):
        extract_zip(make_zip(tmp_path / "many.zip", two_classes()), tmp_path / "out2")
    monkeypatch.setenv("CNNAPP_ZIP_MAX_BYTES", "1000")
    assert ZipLimits().max_bytes == 1000
    with pytest.raises(DataError, match="expands to more than"):
        extract_zip(make_zip(tmp_path / "big.zip", {"a/1.bin": b"x" * 5000}), tmp_path / "out3")


def test_nested_corrupt_and_fake_zips(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", two_classes()).read_bytes()
    ds = ingest(make_zip(tmp_path / "outer.zip", {**two_classes(), "cat/more.zip": inner}))
    assert any(r["reason"].startswith("nested archive") for r in ds.skipped)
    good = make_zip(tmp_path / "good.zip", two_classes()).read_bytes()
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(good[: len(good) // 2] + b"\xff" * 100 + good[len(good) // 2 + 100 :])
    ds = ingest(corrupt)  # a damaged entry is left out with its reason; the others are kept
    assert len(ds.splits["train"]) + len(ds.splits["val"]) == len(two_classes()) - 1
    assert [s["reason"] for s in ds.skipped] == [
        "this entry's data cannot be read (Bad CRC-32 for file 'dog/0.png'); not extracted"
    ]
    fake = tmp_path / "photos.zip"
    fake.write_bytes(png_bytes(0))
    with pytest.raises(DataError, match=r"'photos.zip' is not a folder or a .zip archive"):  # judged by its bytes
        ingest(fake)


def test_an_unwritable_entry_is_skipped_and_the_rest_extracted(tmp_path):
    """A name over 255 bytes, a file and a folder of one name, a duplicate name: only those entries are left out."""
    long_name = "cat/" + "a" * 300 + ".png"
    archive = tmp_path / "odd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in two_classes().items():
            zf.writestr(name, data)
        zf.writestr(long_name, png_bytes(50))
        zf.writestr("dog/clash", png_bytes(51))
        zf.writestr("dog/clash/inner.png", png_bytes(52))
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("cat/0.png", png_bytes(53))
    extracted = extract_zip(archive, tmp_path / "out")
    reasons = {r["path"]: r["reason"] for r in extracted.skipped}
    assert reasons == {
        long_name: "name too long for this filesystem; not extracted",
        "dog/clash/inner.png": "a file and a folder of the archive have the same name; not extracted",
        "cat/0.png": "duplicate entry name; the first 'cat/0.png' was kept",
    }
    assert (extracted.root / "cat" / "0.png").read_bytes() == png_bytes(0)
    ds = ingest(archive)
    assert len(ds.splits["train"]) + len(ds.splits["val"]) == 12
    assert {r["path"] for r in ds.skipped} >= set(reasons)


@pytest.mark.slow
def test_broken_and_unusual_images(tmp_path, monkeypatch):
    root = tmp_path / "data"
    cls = {"plain": root / "plain", "weird": root / "weird"}
    for folder in cls.values():
        folder.mkdir(parents=True)
    for i in range(6):
        (cls["plain"] / f"{i}.png").write_bytes(png_bytes(i))
    w = cls["weird"]
    full = png_bytes(99, size=64)
    (w / "truncated.png").write_bytes(full[: len(full) // 2])
    (w / "text.jpg").write_text("not an image")
    Image.new("1", (30000, 30000)).save(w / "bomb.png")
    Image.fromarray(np.arange(256, dtype=np.uint16).reshape(16, 16) * 256).save(w / "deep16.png")
    Image.fromarray(np.full((16, 16, 3), 90, np.uint8)).convert("CMYK").save(w / "cmyk.jpg")
    pal = Image.new("P", (16, 16), 1)
    pal.putpalette([0, 0, 0, 255, 0, 0] * 128)
    pal.save(w / "palette.png", transparency=0)
    frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(w / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    exif = Image.Exif()
    exif[0x0112] = 8
    Image.fromarray(np.zeros((10, 30, 3), np.uint8)).save(w / "rotated.jpg", exif=exif)
    monkeypatch.setenv("CNNAPP_MAX_IMAGE_PIXELS", "100000000")
    ds = ingest(root)
    reasons = {Path(r["path"]).name: r["reason"] for r in ds.skipped}
    assert "truncated or corrupt" in reasons["truncated.png"]
    assert "not a valid image" in reasons["text.jpg"]
    assert "too large" in reasons["bomb.png"]
    kept = {Path(p).name for p, _ in ds.splits["train"] + ds.splits["val"]}
    assert {"deep16.png", "cmyk.jpg", "palette.png", "anim.gif", "rotated.jpg"} <= kept
    assert np.asarray(load_rgb(w / "anim.gif"))[0, 0].tolist() == [255, 0, 0]
    assert load_rgb(w / "rotated.jpg").size == (10, 30)


def test_folder_shapes(tmp_path):
    root = tmp_path / "shapes"
    names = ["chat noir", "café ☕", "日本"]
    for ci, name in enumerate(names):
        deep = root / name / "a" / "b" / "c" / "d" / "e"
        deep.mkdir(parents=True)
        for i in range(4):
            (deep / f"image {i}.png").write_bytes(png_bytes(ci * 10 + i))
    (root / "empty class").mkdir()
    ds = ingest(
        make_zip(tmp_path / "u.zip", {str(p.relative_to(tmp_path)): p.read_bytes() for p in root.rglob("*.png")})
    )
    assert ds.classes == sorted(names)
    ds = ingest(root)
    assert ds.classes == sorted(names) and any("empty class" in w for w in ds.warnings)
    with pytest.raises(IngestError, match="only one class"):
        ingest(make_zip(tmp_path / "one.zip", {f"solo/{i}.png": png_bytes(i) for i in range(5)}))


def test_duplicates_across_train_and_val_are_kept_out_of_val(tmp_path):
    entries = {
        **two_classes(prefix="train/"),
        "val/cat/same.png": png_bytes(0),
        "val/dog/new.png": png_bytes(500),
        "val/cat/new.png": png_bytes(501),
    }
    ds = ingest(make_zip(tmp_path / "leak.zip", entries))
    assert ("val/cat/same.png", 0) not in ds.splits["val"]
    assert any(r["path"] == "val/cat/same.png" and "duplicate of train/cat/0.png" in r["reason"] for r in ds.skipped)
    assert any("across splits" in w for w in ds.warnings)


def encrypted_zip(path: Path, entries: dict[str, bytes], encrypted: set[str]) -> Path:
    """A zip whose `encrypted` entries carry the encryption flag in both their headers, as a password-protected zip's
    do (Python's zipfile writes no encrypted entries, so the flag is set in the bytes)."""
    make_zip(path, entries)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        local = {info.filename: info.header_offset for info in zf.infolist()}
    for name in encrypted:
        data[local[name] + 6] |= 0x1  # the local file header's general-purpose flags
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) >= 0:  # each central directory header
        size = int.from_bytes(data[start + 28 : start + 30], "little")
        if data[start + 46 : start + 46 + size].decode() in encrypted:
            data[start + 8] |= 0x1
        start += 46
    path.write_bytes(bytes(data))
    return path


def test_encrypted_entries_are_skipped_with_their_reason_and_the_rest_is_kept(tmp_path, workspace):
    entries = two_classes()
    locked = {"cat/0.png", "dog/1.png"}
    ds = ingest(encrypted_zip(tmp_path / "some.zip", entries, locked))
    assert len(ds.splits["train"]) + len(ds.splits["val"]) == len(entries) - 2
    reasons = {s["path"].rsplit("/", 1)[-1]: s["reason"] for s in ds.skipped if s["path"].endswith(("0.png", "1.png"))}
    assert "encrypted (needs a password)" in " ".join(reasons.values())
    assert not any("ZipInfo" in s["reason"] for s in ds.skipped)


def test_an_archive_whose_every_entry_is_encrypted_is_refused_in_one_line(tmp_path, workspace):
    from cnnapp.data.archive import check_zip

    archive = encrypted_zip(tmp_path / "locked.zip", two_classes(), set(two_classes()))
    for attempt in (lambda: check_zip(archive), lambda: ingest(archive)):
        with pytest.raises(DataError) as err:
            attempt()
        assert (
            str(err.value) == "every entry of 'locked.zip' is encrypted (needs a password); zip the images without one"
        )
    assert not list((workspace / "datasets").glob("*/*")), "nothing is left extracted"


def test_the_data_tab_says_why_for_an_encrypted_zip_and_keeps_nothing_of_a_useless_one(tmp_path, workspace):
    from cnnapp.ui import data_tab

    archive = encrypted_zip(tmp_path / "locked.zip", two_classes(), set(two_classes()))
    notice = data_tab.use_zip(workspace, str(archive))[-3]
    assert "encrypted" in notice and "ZipInfo" not in notice
    useless = make_zip(tmp_path / "junk.zip", {f"notes/{i}.txt": b"not an image" * 1000 for i in range(20)})
    notice = data_tab.use_zip(workspace, str(useless))[-3]
    assert "junk.zip" in notice and not [p for p in (workspace / "datasets").iterdir() if p.is_dir()], (
        "an archive with nothing usable is removed at once"
    )
