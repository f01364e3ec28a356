"""Fuzzing image decoding: thousands of mutated GIF, TIFF, PNG, JPEG, WebP and BMP files (truncated, bytes flipped,
headers edited, by a seeded mutator) through ingestion and prediction. Whatever a file holds, the only exception that
may come out is cnnapp's own DataError, for that file."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnapp.data.ingest import ingest
from cnnapp.errors import CnnappError, DataError
from cnnapp.models.factory import create_model
from cnnapp.models.registry import get_spec
from cnnapp.serving.inference import Predictor

PER_FORMAT = 500
SEED = 10


def _frames(rng: np.random.Generator, n: int, size: int = 20) -> list[Image.Image]:
    return [Image.fromarray(rng.integers(0, 255, (size, size + 4, 3), dtype=np.uint8)) for _ in range(n)]


def base_files() -> dict[str, list[bytes]]:
    """A few valid files per format, in the variants decoders treat differently."""
    rng = np.random.default_rng(SEED)

    def save(im: Image.Image, fmt: str, **kwargs) -> bytes:
        buf = io.BytesIO()
        im.save(buf, fmt, **kwargs)
        return buf.getvalue()

    a, b, c = _frames(rng, 3)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotated
    return {
        "gif": [
            save(a.convert("P"), "GIF", save_all=True, append_images=[b.convert("P"), c.convert("P")], duration=50),
            save(a.convert("P"), "GIF", transparency=0),
        ],
        "tif": [
            save(a, "TIFF"),
            save(a, "TIFF", compression="tiff_lzw"),
            save(a.convert("I;16"), "TIFF"),
            save(a, "TIFF", save_all=True, append_images=[b], compression="tiff_adobe_deflate"),
        ],
        "png": [
            save(a, "PNG"),
            save(a.convert("RGBA"), "PNG"),
            save(a.convert("P"), "PNG"),
            save(a.convert("I;16"), "PNG"),
        ],
        "jpg": [save(a, "JPEG"), save(a, "JPEG", progressive=True, exif=exif), save(a.convert("L"), "JPEG")],
        "webp": [
            save(a, "WEBP"),
            save(a.convert("RGBA"), "WEBP", lossless=True),
            save(a, "WEBP", save_all=True, append_images=[b], duration=50),
        ],
        "bmp": [save(a, "BMP"), save(a.convert("P"), "BMP"), save(a.convert("L"), "BMP")],
    }


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random damage: a truncation, flipped bytes, an edited header, a zeroed or repeated run of bytes."""
    out = bytearray(data)
    kind = rng.randrange(5)
    if kind == 0:
        return bytes(out[: rng.randrange(1, len(out))])
    if kind == 1:
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    elif kind == 2:
        for _ in range(rng.randint(1, 4)):
            out[rng.randrange(min(64, len(out)))] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)))
    elif kind == 3:
        start = rng.randrange(len(out))
        out[start : start + rng.randint(1, 32)] = bytes(min(rng.randint(1, 32), len(out) - start))
    else:
        start = rng.randrange(len(out))
        out[start:start] = out[start : start + rng.randint(1, 64)] * rng.randint(1, 4)
    return bytes(out)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """PER_FORMAT mutated files per format in two class folders."""
    root = tmp_path_factory.mktemp("fuzz") / "data"
    rng = random.Random(SEED)
    paths = []
    for ext, bases in base_files().items():
        for i in range(PER_FORMAT):
            folder = root / ("cat" if i % 2 else "dog")
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{ext}-{i:04d}.{ext}"
            path.write_bytes(mutate(bases[i % len(bases)], rng))
            paths.append(path)
    return paths


@pytest.fixture(autouse=True)
def small_pixel_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited header can claim millions of pixels; the guard refuses them without decoding (and keeps this fast)."""
    monkeypatch.setenv("CNNAPP_MAX_IMAGE_PIXELS", "1000000")


def test_ingestion_skips_every_undecodable_file_with_a_reason(corpus):
    dataset = ingest(corpus[0].parents[1], workers=2)
    kept = sum(len(samples) for samples in dataset.splits.values())
    skipped = {r["path"]: r["reason"] for r in dataset.skipped}
    assert kept + len(skipped) == len(corpus) == 6 * PER_FORMAT
    assert len(skipped) > len(corpus) // 10 and kept > len(corpus) // 10
    assert all(reason for reason in skipped.values())


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One image per forward pass gains nothing from threads, and a shared CI machine makes them slow."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_prediction_answers_or_raises_data_error_for_every_file(corpus, one_thread):
    predictor = Predictor(create_model("lenet5", 2), get_spec("lenet5"), ["cat", "dog"], 28, "fuzz")
    answered = refused = 0
    for path in corpus:
        try:
            (top,) = predictor.predict([path], top_k=1)
        except DataError as exc:
            assert "\n" not in str(exc)
            refused += 1
        except CnnappError as exc:  # pragma: no cover - a failure message worth reading
            pytest.fail(f"{path.name}: {type(exc).__name__} instead of DataError: {exc}")
        else:
            assert top[0][0] in ("cat", "dog")
            answered += 1
    assert answered + refused == len(corpus) and answered and refused
