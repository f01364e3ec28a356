"""Photo-sized inputs: JPEG draft decoding gives the requested size, and the photo bench's files and ingestion."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnapp.data.images import fit_square, load_rgb, load_square_array


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory: pytest.TempPathFactory):
    """scikit-image's coffee photo upscaled to 2400×1600 (3.8 MP) as a JPEG."""
    from skimage import data

    path = tmp_path_factory.mktemp("big") / "coffee.jpg"
    Image.fromarray(data.coffee()).resize((2400, 1600), Image.Resampling.BICUBIC).save(path, quality=90)
    return path


def test_draft_decoding_gives_at_least_the_requested_size_at_a_fraction_of_the_pixels(big_jpeg):
    drafted = load_rgb(big_jpeg, draft_size=64)
    assert min(drafted.size) >= 64
    assert drafted.size[0] * drafted.size[1] <= 2400 * 1600 / 16  # libjpeg scaled it down while decoding
    assert load_rgb(big_jpeg).size == (2400, 1600)
    assert load_square_array(big_jpeg, 64).shape == (64, 64, 3)


def test_draft_decoding_gives_the_same_picture_as_a_full_decode(big_jpeg):
    drafted = load_square_array(big_jpeg, 96).astype(np.float32)
    full = np.asarray(fit_square(load_rgb(big_jpeg), 96), dtype=np.float32)
    assert np.abs(drafted - full).mean() < 4  # of 255: the same picture, not a different crop or colour


@pytest.mark.slow
def test_photo_bench_makes_distinct_12_mp_jpegs_that_ingestion_keeps_and_decodes(tmp_path, monkeypatch):
    from bench import photos

    monkeypatch.setattr(photos, "WORKDIR", tmp_path)
    monkeypatch.setenv("CNNAPP_HOME", str(tmp_path / "home"))
    folder = photos.make_photos(8, variants=1)
    files = sorted(folder.rglob("*.jpg"))
    assert len(files) == 8 and len({f.read_bytes() for f in files}) == 8
    with Image.open(files[0]) as im:
        assert im.size == photos.SIZE and im.format == "JPEG"
    result = photos._ingest(folder, draft=True, timeout=300)
    assert result["images"] == 8
    assert 0 < result["ingest_s"] <= result["first_batch_s"] and 0 < result["peak_gb"] < 4
