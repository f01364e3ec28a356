"""Example datasets written as ImageFolder trees: Fashion-MNIST from its idx files, CIFAR-10 from its archive."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from cnnapp.errors import DataError
from cnnapp.messages import msg

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
BUNDLED = Path(__file__).resolve().parents[2] / "assets" / "fashion-mnist-mini"  # the example shipped with cnnapp
BUNDLED_NAME = str(msg("dataset.example"))  # its name in run files, whatever page started a run: pages translate it


def is_bundled(path: str | Path) -> bool:
    """Whether `path` is the example shipped with cnnapp (named in each language, not by its folder)."""
    return BUNDLED.is_dir() and Path(path).resolve() == BUNDLED.resolve()


FASHION_MNIST_CLASSES = [
    "tshirt_top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle_boot",
]


def read_idx(path: Path) -> np.ndarray:
    """An idx(.gz) file (the MNIST format) as an array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist_arrays(split: str = "train", source: Path = FASHION_MNIST_DIR) -> tuple[np.ndarray, np.ndarray]:
    """(images N×28×28, labels N) of Fashion-MNIST's `train` or `test` split."""
    prefix = "train" if split == "train" else "t10k"
    images, labels = source / f"{prefix}-images-idx3-ubyte.gz", source / f"{prefix}-labels-idx1-ubyte.gz"
    if not images.is_file():
        raise DataError(msg("examples.fashion_missing", source=str(source)))
    return read_idx(images), read_idx(labels)


def write_fashion_mnist(
    out: Path, per_class: int, split: str = "train", offset: int = 0, source: Path = FASHION_MNIST_DIR
) -> Path:
    """Write `per_class` images of each class (after skipping `offset` per class) as `out/<class>/<n>.png`."""
    images, labels = fashion_mnist_arrays(split, source)
    out = Path(out)
    for label, name in enumerate(FASHION_MNIST_CLASSES):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in np.flatnonzero(labels == label)[offset : offset + per_class]:
            Image.fromarray(images[i], mode="L").save(folder / f"{split}_{i:05d}.png", optimize=True)
    return out


# ----- CIFAR-10 -------------------------------------------------------------------------------

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
CIFAR10_MAX_MEMBER_BYTES = 64 * 1024 * 1024  # an official batch is ~31 MB
CIFAR10_HINT = msg("examples.cifar10_hint")


class _NdarrayName:
    """Stands for `numpy.ndarray` in a batch: only `_np_reconstruct` accepts it; calling it builds nothing useful."""


def _np_reconstruct(subtype: type, shape: tuple, typecode: bytes | str) -> np.ndarray:
    """numpy's `_reconstruct`, limited to what `ndarray.__reduce__` emits: an empty plain array."""
    if subtype is not _NdarrayName or tuple(shape) != (0,):
        raise pickle.UnpicklingError("unexpected array reconstruction")
    return np.empty((0,), dtype=np.uint8)


def _np_dtype(spec: bytes | str, align: bool = False, copy: bool = True) -> np.dtype:
    """`numpy.dtype` for plain numeric types only (object dtypes would unpickle arbitrary objects)."""
    dtype = np.dtype(spec.decode("latin1") if isinstance(spec, bytes) else spec, align=align, copy=copy)
    if dtype.hasobject or dtype.kind not in "biuf":
        raise pickle.UnpicklingError(f"dtype {dtype} is not allowed")
    return dtype


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """`_codecs.encode` as Python 3 uses it in protocol-2 pickles of bytes (latin-1 only)."""
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"encoding {encoding} is not allowed")
    return text.encode("latin1")


class _CifarUnpickler(pickle.Unpickler):
    """An unpickler whose only callables are the three numpy array builders and latin-1 encoding."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,
        ("numpy", "ndarray"): _NdarrayName,
        ("numpy", "dtype"): _np_dtype,
        ("_codecs", "encode"): _latin1_encode,
    }

    def find_class(self, module: str, name: str):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR-10 batch") from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are not allowed in a CIFAR-10 batch")


def read_cifar_batch(data: bytes, name: str = "batch") -> tuple[np.ndarray, np.ndarray]:
    """(images N×32×32×3 uint8, labels N) from the bytes of one official CIFAR-10 python batch.

    The official batches are Python pickles, and cnnapp never unpickles user files with the
    standard unpickler: unpickling can call any importable function. Instead a restricted
    unpickler (the "restricting globals" recipe of Python's `pickle` documentation) resolves only
    `numpy.ndarray`, `numpy.dtype` limited to numeric types, numpy's `_reconstruct` limited to the
    empty plain array that `ndarray.__reduce__` emits, and latin-1 `_codecs.encode` (how Python 3
    writes bytes in protocol-2 pickles). Every other global, persistent id and extension code is
    refused, so a crafted file can build only dicts, lists, strings, numbers and numeric arrays,
    never call code; array memory is bounded by the file's own size (numpy checks the buffer
    length), and each archive member is size-capped before reading. The result is then checked for
    the batch structure (`data` N×3072 uint8, `labels` N ints in 0..9). `numpy.load` is no
    alternative here: the files are pickles, not `.npy`, and `allow_pickle=True` is the unsafe
    path. Keys may be bytes (`b"data"`, Python 2 pickles read as bytes) or str (read as latin-1).
    """
    try:
        batch = _CifarUnpickler(io.BytesIO(data), encoding="latin1").load()
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        MemoryError,
    ) as exc:
        raise DataError(msg("examples.not_batch", name=name, problem=str(exc), hint=CIFAR10_HINT)) from None
    if not isinstance(batch, dict):
        raise DataError(msg("examples.not_dict", name=name, hint=CIFAR10_HINT))
    pick = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    images, labels = pick.get("data"), pick.get("labels")
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 2 or images.shape[1] != 3072:
        raise DataError(msg("examples.bad_data", name=name, hint=CIFAR10_HINT))
    if (
        not isinstance(labels, list)
        or len(labels) != len(images)
        or not all(isinstance(v, int) and 0 <= v < 10 for v in labels)
    ):
        raise DataError(msg("examples.bad_labels", name=name, count=len(images), hint=CIFAR10_HINT))
    return images.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.asarray(labels, dtype=np.int64)


def cifar10_arrays(archive: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train": (images, labels), "test": (...)} read from the official `cifar-10-python.tar.gz` (not extracted)."""
    archive = Path(archive)
    if not archive.is_file():
        raise DataError(msg("examples.cifar10_missing", archive=str(archive), hint=CIFAR10_HINT))
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = {m.name.lstrip("./"): m for m in tar.getmembers() if m.isfile()}
            splits = {}
            for split, names in CIFAR10_BATCHES.items():
                parts = []
                for batch in names:
                    member = members.get(f"{CIFAR10_FOLDER}/{batch}")
                    if member is None:
                        raise DataError(
                            msg(
                                "examples.no_batch",
                                name=archive.name,
                                folder=CIFAR10_FOLDER,
                                batch=batch,
                                hint=CIFAR10_HINT,
                            )
                        )
                    if member.size > CIFAR10_MAX_MEMBER_BYTES:
                        raise DataError(
                            msg("examples.batch_too_large", name=archive.name, batch=batch, size=member.size)
                        )
                    parts.append(read_cifar_batch(tar.extractfile(member).read(), batch))
                splits[split] = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
            return splits
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise DataError(msg("examples.not_tar", name=archive.name, problem=str(exc), hint=CIFAR10_HINT)) from None


def download_cifar10(folder: Path) -> Path:
    """The official archive, downloaded through torchvision (checksum-verified) into `folder` once."""
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import download_url

    try:
        download_url(CIFAR10.url, str(folder), filename=CIFAR10_ARCHIVE, md5=CIFAR10.tgz_md5)
    except Exception as exc:  # urllib, http and checksum failures come in many types
        first = str(exc).splitlines()[0] if str(exc) else msg("error.no_detail")
        raise DataError(
            msg("examples.download_failed", kind=type(exc).__name__, first=first, hint=CIFAR10_HINT)
        ) from None
    return Path(folder) / CIFAR10_ARCHIVE


def write_cifar10(
    out: Path, archive: Path | None = None, per_class: int | None = None, download_dir: Path | None = None
) -> Path:
    """Write CIFAR-10 as `out/{train,test}/<class>/<split>_<n>.png` (at most `per_class` per class and split).

    Reads `archive` (the official python-version tar.gz) when given, else downloads it through
    torchvision into `download_dir` (default: the workspace cache).
    """
    if archive is None:
        from cnnapp import workspace

        archive = download_cifar10(Path(download_dir) if download_dir else workspace.cache_dir())
    splits = cifar10_arrays(Path(archive))
    out = Path(out)
    for split, (images, labels) in splits.items():
        for label, name in enumerate(CIFAR10_CLASSES):
            folder = out / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in np.flatnonzero(labels == label)[:per_class]:
                Image.fromarray(images[i], mode="RGB").save(folder / f"{split}_{i:05d}.png")
    return out


def write_fashion_mnist_splits(out: Path, per_class: int | None = None, source: Path = FASHION_MNIST_DIR) -> Path:
    """Fashion-MNIST as `out/{train,test}/<class>/...` (at most `per_class` per class and split)."""
    out = Path(out)
    limit = per_class if per_class is not None else 10**9
    write_fashion_mnist(out / "train", limit, "train", source=source)
    write_fashion_mnist(out / "test", limit, "test", source=source)
    return out


# ----- example datasets for the app and the CLI ------------------------------------------------

EXAMPLES = {
    "cifar10": "CIFAR-10: 60,000 32×32 colour photos of 10 classes (airplane … truck), train/ and test/",
    "fashion-mnist": "Fashion-MNIST: 70,000 28×28 greyscale clothing images of 10 classes, train/ and test/",
}


def prepare_example(
    name: str, root: Path | None = None, per_class: int | None = None, archive: Path | None = None
) -> Path:
    """Write the example dataset `name` under `root` (default: the workspace's datasets folder) once; return its folder.

    The folder is `<root>/<name>` (or `<name>-<per_class>`), written in a temporary folder and moved
    into place when complete, then marked by `<root>/.<folder>.complete` and reused by later calls.
    """

    from cnnapp import workspace

    if name not in EXAMPLES:
        raise DataError(msg("examples.unknown", name=name, choices=list(EXAMPLES)))
    if per_class is not None and per_class < 1:
        raise DataError(msg("examples.per_class", value=per_class))
    suffix = f"-{per_class}" if per_class else ""
    base = Path(root or workspace.datasets_dir())
    out = base / f"{name}{suffix}"
    marker = base / f".{out.name}.complete"
    if marker.is_file() and out.is_dir():
        return out
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=base))
    try:
        if name == "cifar10":
            write_cifar10(tmp, archive=archive, per_class=per_class)
        else:
            write_fashion_mnist_splits(tmp, per_class)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    marker.write_text(json.dumps({"name": name, "per_class": per_class}))
    return out
