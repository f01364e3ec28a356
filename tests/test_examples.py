"""Example datasets: CIFAR-10 from an archive in the official format (read without unpickling code), Fashion-MNIST."""

from __future__ import annotations

import io
import os
import pickle
import struct
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnapp import cli
from cnnapp.data import examples
from cnnapp.data.ingest import ingest
from cnnapp.errors import DataError


class _Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 `str` (SHORT_BINSTRING/BINSTRING), as the official batches were written by cPickle."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj: bytes) -> None:
        n = len(obj)
        self.write((b"U" + bytes([n]) if n < 256 else b"T" + struct.pack("<i", n)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def py2_pickle(obj: object) -> bytes:
    """A protocol-2 pickle laid out like the official CIFAR-10 batches (numpy.core.multiarray globals)."""
    f = io.BytesIO()
    _Py2Pickler(f, protocol=2).dump(obj)
    return f.getvalue().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


def batch(labels: list[int], seed: int, label: bytes) -> tuple[dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (len(labels), 32, 32, 3), dtype=np.uint8)
    data = images.transpose(0, 3, 1, 2).reshape(len(labels), 3072)  # rows: 1024 red, 1024 green, 1024 blue
    names = [f"img_{seed}_{i}.png".encode() for i in range(len(labels))]
    return {b"batch_label": label, b"labels": labels, b"data": data, b"filenames": names}, images


def add(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def make_archive(
    path: Path, per_batch: int = 1, test_per_class: int = 2, dumps=py2_pickle, extra: dict | None = None
) -> dict[str, np.ndarray]:
    """A tiny `cifar-10-python.tar.gz`: five train batches of `per_batch` images per class and a test batch."""
    images = {"train": [], "test": []}
    with tarfile.open(path, "w:gz") as tar:
        add(
            tar,
            "cifar-10-batches-py/batches.meta",
            dumps({b"label_names": [c.encode() for c in examples.CIFAR10_CLASSES], b"num_vis": 3072}),
        )
        add(tar, "cifar-10-batches-py/readme.html", b"<html></html>")
        for i in range(1, 6):
            content, imgs = batch(list(range(10)) * per_batch, i, f"training batch {i} of 5".encode())
            add(tar, f"cifar-10-batches-py/data_batch_{i}", (extra or {}).get(f"data_batch_{i}") or dumps(content))
            images["train"].append(imgs)
        content, imgs = batch(list(range(10)) * test_per_class, 99, b"testing batch 1 of 1")
        add(tar, "cifar-10-batches-py/test_batch", dumps(content))
        images["test"].append(imgs)
    return {k: np.concatenate(v) for k, v in images.items()}


def test_cifar10_from_an_official_format_archive(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    images = make_archive(archive)
    out = examples.write_cifar10(tmp_path / "cifar10", archive=archive)
    assert sorted(p.name for p in out.iterdir()) == ["test", "train"]
    for split, count in (("train", 5), ("test", 2)):
        assert sorted(p.name for p in (out / split).iterdir()) == sorted(examples.CIFAR10_CLASSES)
        assert all(len(list((out / split / c).iterdir())) == count for c in examples.CIFAR10_CLASSES)
    # the first training image (label 0, airplane) comes back pixel for pixel, channels in the right order
    first = np.asarray(Image.open(out / "train" / "airplane" / "train_00000.png"))
    assert first.shape == (32, 32, 3) and np.array_equal(first, images["train"][0])
    cat = np.asarray(Image.open(out / "test" / "cat" / "test_00003.png"))
    assert np.array_equal(cat, images["test"][3])

    dataset = ingest(out)
    assert dataset.classes == sorted(examples.CIFAR10_CLASSES)
    assert len(dataset.paths("train")) + len(dataset.paths("val")) == 50 and len(dataset.paths("test")) == 20


def test_cifar10_cli_with_per_class_and_python3_pickles(tmp_path, capsys):
    archive = tmp_path / "c.tar.gz"
    make_archive(archive, per_batch=2, test_per_class=3, dumps=lambda o: pickle.dumps(o, protocol=4))
    out = tmp_path / "out"
    assert cli.main(["datasets", "cifar10", "--out", str(out), "--archive", str(archive), "--per-class", "4"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert len(list((out / "train" / "ship").iterdir())) == 4 and len(list((out / "test" / "ship").iterdir())) == 3


def test_cifar10_batches_cannot_run_code(tmp_path):
    sentinel = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {sentinel}",))

    evil = {
        "code": pickle.dumps({b"data": Exploit(), b"labels": [0]}, protocol=2),
        "eval": b"cbuiltins\neval\n(Vprint('x')\ntR.",
        "object array": pickle.dumps({b"data": np.array([None], dtype=object), b"labels": [0]}, protocol=2),
        "persistent id": b"\x80\x02P0\n.",
    }
    for what, payload in evil.items():
        with pytest.raises(DataError, match="not allowed|not a CIFAR-10"):
            examples.read_cifar_batch(payload, what)
        archive = tmp_path / f"{what.replace(' ', '_')}.tar.gz"
        make_archive(archive, extra={"data_batch_3": payload})
        with pytest.raises(DataError):
            examples.write_cifar10(tmp_path / "never", archive=archive)
    assert not sentinel.exists()
    with pytest.raises(DataError, match="'labels'"):
        examples.read_cifar_batch(py2_pickle({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1, 12]}))
    with pytest.raises(DataError, match="N×3072"):
        examples.read_cifar_batch(py2_pickle({b"data": np.zeros((2, 100), np.uint8), b"labels": [1, 2]}))


def test_cifar10_bad_archives_and_offline(tmp_path, monkeypatch, capsys):
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(DataError, match="not a readable .tar.gz"):
        examples.write_cifar10(tmp_path / "o", archive=tmp_path / "junk.tar.gz")
    with tarfile.open(tmp_path / "partial.tar.gz", "w:gz") as tar:
        add(tar, "cifar-10-batches-py/batches.meta", b"")
    with pytest.raises(DataError, match="has no cifar-10-batches-py/data_batch_1"):
        examples.write_cifar10(tmp_path / "o", archive=tmp_path / "partial.tar.gz")
    with pytest.raises(DataError, match="archive not found"):
        examples.write_cifar10(tmp_path / "o", archive=tmp_path / "missing.tar.gz")

    import torchvision.datasets.utils

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(torchvision.datasets.utils, "download_url", no_network)
    with pytest.raises(DataError, match="could not be downloaded.*--archive FILE"):
        examples.write_cifar10(tmp_path / "o", download_dir=tmp_path / "dl")
    assert cli.main(["datasets", "cifar10", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: CIFAR-10 could not be downloaded") and "--archive" in err[0]


def test_fashion_mnist_splits_and_cli(tmp_path, capsys):
    out = tmp_path / "fm"
    assert cli.main(["datasets", "fashion-mnist", "--out", str(out), "--per-class", "3"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    for split in ("train", "test"):
        assert sorted(p.name for p in (out / split).iterdir()) == sorted(examples.FASHION_MNIST_CLASSES)
        assert all(len(list((out / split / c).iterdir())) == 3 for c in examples.FASHION_MNIST_CLASSES)
    assert cli.main(["datasets", "fashion-mnist", "--archive", "x.tar.gz"]) == 2
    assert cli.main(["datasets", "cifar10", "--per-class", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_prepare_example_writes_once(tmp_path, workspace, monkeypatch):
    archive = tmp_path / "cifar-10-python.tar.gz"
    make_archive(archive)
    folder = examples.prepare_example("cifar10", per_class=1, archive=archive)
    assert folder == workspace / "datasets" / "cifar10-1"
    assert len(list((folder / "train" / "frog").iterdir())) == 1
    assert not any(p.name.startswith(".") for p in folder.iterdir())  # nothing for ingest to report as junk
    monkeypatch.setattr(examples, "write_cifar10", lambda *a, **k: pytest.fail("written twice"))
    assert examples.prepare_example("cifar10", per_class=1, archive=archive) == folder
    fm = examples.prepare_example("fashion-mnist", tmp_path / "examples", per_class=2)
    assert fm == tmp_path / "examples" / "fashion-mnist-2" and len(list((fm / "test" / "bag").iterdir())) == 2
    assert sorted(p.name for p in (tmp_path / "examples").iterdir()) == [".fashion-mnist-2.complete", "fashion-mnist-2"]
    with pytest.raises(DataError, match="unknown example dataset"):
        examples.prepare_example("imagenet")
