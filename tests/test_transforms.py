import numpy as np
import pytest
import torch

from cnnapp.data.transforms import AUGMENTATIONS, PRESETS, BatchPrep, build_augment, describe_augment, parse_augment
from cnnapp.errors import ConfigError


def test_presets_and_custom_specs_parse():
    assert parse_augment("none") == [] and parse_augment("") == []
    assert [n for n, _ in parse_augment("light")] == ["hflip", "crop"]
    assert parse_augment("rotate=20, noise") == [("rotate", 20.0), ("noise", AUGMENTATIONS["noise"][0])]
    assert {n for n, _ in parse_augment("strong")} == {
        "hflip",
        "vflip",
        "crop",
        "rotate",
        "color",
        "hue",
        "noise",
        "gray",
    }
    assert "rotate (max degrees 15)" in str(describe_augment("medium"))
    for bad in ("blur", "rotate=abc", "crop=-1"):
        with pytest.raises(ConfigError):
            parse_augment(bad)


@pytest.mark.parametrize("preset", [p for p in PRESETS if p != "none"])
def test_augmentations_keep_shape_and_dtype_and_are_seeded(preset):
    image = np.random.default_rng(0).integers(0, 255, (48, 48, 3), dtype=np.uint8)
    a, b = build_augment(preset, 48, seed=7), build_augment(preset, 48, seed=7)
    outs_a = [a(image=image)["image"] for _ in range(4)]
    outs_b = [b(image=image)["image"] for _ in range(4)]
    assert all(o.shape == (48, 48, 3) and o.dtype == np.uint8 for o in outs_a)
    assert all((x == y).all() for x, y in zip(outs_a, outs_b))
    assert any((o != image).any() for o in outs_a)


def test_no_augmentation_means_no_pipeline():
    assert build_augment("none", 32) is None


def test_batch_prep_normalises_into_channels_last():
    prep = BatchPrep((0.5, 0.5, 0.5), (0.25, 0.25, 0.25), torch.device("cpu"))
    images = torch.full((2, 8, 8, 3), 255, dtype=torch.uint8)
    images[:, :, :, 1] = 0
    x = prep(images)
    assert x.shape == (2, 3, 8, 8) and x.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(x[:, 0], torch.tensor(2.0)) and torch.allclose(x[:, 1], torch.tensor(-2.0))
    plain = BatchPrep((0.5,) * 3, (0.25,) * 3, torch.device("cpu"), channels_last=False)(images)
    assert plain.is_contiguous()
