"""Grad-CAM and feature maps: every registry architecture, localisation on real photos, the CLI."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from cnnapp.errors import ConfigError
from cnnapp.models.factory import head_of
from cnnapp.models.registry import build, get_spec, names
from cnnapp.serving import explain
from cnnapp.serving.inference import Predictor, load_predictor
from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train

CATS = {"Egyptian cat", "tabby, tabby cat", "tiger cat"}
# Seconds each to build on 2 cores (over 20 M random weights, or a slow initialisation): `slow`.
HEAVY = {"alexnet", "vgg16", "vgg19", "googlenet", "resnet50", "resnet152", "densenet121", "convnext_tiny"}


def random_model(arch: str) -> tuple[torch.nn.Module, torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    spec = get_spec(arch)
    model = build(spec, 5).eval().to(memory_format=torch.channels_last)
    size = 28 if arch == "lenet5" else 64
    x = torch.randn(1, 3, size, size).contiguous(memory_format=torch.channels_last)
    return model, head_of(model, spec), x


@pytest.mark.parametrize("arch", [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in names()])
def test_grad_cam_and_feature_layers_on_every_registry_architecture(arch):
    """Grad-CAM finds its layer automatically for timm, torchvision and cnnapp models (random weights,
    channels_last)."""
    model, head, x = random_model(arch)
    with torch.no_grad():
        expected = model(x).softmax(1)[0]
    layers = explain.spatial_layers(model, head, x)
    target = explain.cam_layer(layers)
    heatmap, probs = explain.grad_cam(model, x, target.name)
    assert heatmap.shape == x.shape[-2:]
    assert np.isfinite(heatmap).all() and heatmap.min() >= 0 and heatmap.max() <= 1
    torch.testing.assert_close(probs, expected, atol=1e-4, rtol=1e-4)  # the hooks do not change the model's answer
    assert not any(p.grad is not None for p in model.parameters())
    shown = explain.feature_layers(layers)
    assert len(shown) >= 3 and shown[-1] == target
    sizes = [layer.height for layer in shown]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]


def test_captured_maps_survive_inplace_relu():
    model, _, x = random_model("alexnet")  # torchvision: Conv2d then ReLU(inplace=True)
    with torch.no_grad():
        expected = model(x)
        with explain._Capture(model, ["features.0", "features.1"]) as cap:
            assert torch.equal(model(x), expected)
    conv, relu = cap.outputs["features.0"], cap.outputs["features.1"]
    assert conv.min() < 0 and relu.min() == 0  # the conv's output was not overwritten by the in-place ReLU
    torch.testing.assert_close(relu, conv.clamp_min(0))


@pytest.mark.slow
def test_the_target_layer_is_the_last_spatial_map_before_pooling():
    expected = {
        "lenet5": "features",
        "resnet18": "layer4",
        "tf_efficientnet_lite0": "bn2",
        "mobilenetv3_large_100": "blocks",
    }
    for arch, name in expected.items():
        model, head, x = random_model(arch)
        assert explain.cam_layer(explain.spatial_layers(model, head, x)).name == name


def test_heatmap_follows_a_non_square_input():
    model, _, _ = random_model("resnet18")
    heatmap, _ = explain.grad_cam(model, torch.randn(1, 3, 48, 80), "layer4", class_index=2)
    assert heatmap.shape == (48, 80) and heatmap.min() >= 0 and heatmap.max() <= 1


# Tests on the pretrained ImageNet model (seconds to load and run on 2 cores) are `slow`.
@pytest.fixture(scope="module")
def imagenet() -> Predictor:
    return load_predictor("imagenet:tf_efficientnet_lite0")


def canvas_with(photo: str, corner: tuple[int, int]) -> tuple[Image.Image, np.ndarray]:
    """A 224×224 plain grey canvas with the photo shrunk into one corner; also the mask of that quadrant."""
    obj = Image.open(photo).convert("RGB")
    obj.thumbnail((112, 112))
    canvas = Image.new("RGB", (224, 224), (128, 128, 128))
    canvas.paste(obj, (corner[0] * (224 - obj.width), corner[1] * (224 - obj.height)))
    quadrant = np.zeros((224, 224), dtype=bool)
    quadrant[corner[1] * 112 : (corner[1] + 1) * 112, corner[0] * 112 : (corner[0] + 1) * 112] = True
    return canvas, quadrant


@pytest.mark.slow
@pytest.mark.parametrize("photo,class_name", [("chelsea", None), ("coffee", "espresso")])
def test_grad_cam_peaks_on_the_object(imagenet, photos, photo, class_name):
    for corner in [(0, 0), (1, 0), (0, 1), (1, 1)]:
        canvas, quadrant = canvas_with(photos[photo], corner)
        result = explain.explain(imagenet, canvas, class_name=class_name)
        heat = result.heatmap
        assert heat.shape == (224, 224) and heat.min() >= 0 and heat.max() == pytest.approx(1)
        if class_name is None:
            assert result.label in CATS
        else:
            assert result.label == class_name
        peak = np.unravel_index(heat.argmax(), heat.shape)
        share = heat[quadrant].sum() / heat.sum()
        assert quadrant[peak], (corner, peak)
        assert share > 0.6, (corner, share)  # a quarter of the canvas holds most of the heat


@pytest.mark.slow
def test_explanation_images_and_class_lookup(imagenet, photos):
    result = explain.explain(imagenet, str(photos["chelsea"]), class_name="tabby")
    assert result.label == "tabby, tabby cat" and 0 < result.prob < 1 and result.layer == "bn2"
    assert result.overlay.size == (224, 224) and result.side_by_side().size == (448, 224)
    with pytest.raises(ConfigError, match="did you mean 'Egyptian cat'"):
        explain.explain(imagenet, str(photos["chelsea"]), class_name="Egyptain cat")


@pytest.mark.slow
def test_feature_maps_early_to_late(imagenet, photos):
    layers = explain.feature_layers(explain.model_layers(imagenet))
    assert [layer.name for layer in layers] == ["conv_stem", "blocks.0", "blocks.1", "blocks.2", "blocks.4", "bn2"]
    grids = explain.feature_maps(imagenet, str(photos["coffee"]), [layers[0].name, layers[-1].name], max_channels=9)
    assert len(grids) == 2
    (early, early_caption), (late, late_caption) = grids
    assert early_caption == "conv_stem: 9 of 32 maps, 112×112" and late_caption == "bn2: 9 of 1280 maps, 7×7"
    assert isinstance(early, Image.Image) and early.mode == "RGB"
    with pytest.raises(ConfigError, match="unknown layer"):
        explain.feature_maps(imagenet, str(photos["coffee"]), ["no.such.layer"])


@pytest.mark.slow
def test_cli_explain_writes_a_png(small_dataset, tmp_path):
    run, status = train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=1, batch_size=8), progress=False)
    assert status["state"] == "completed"
    image = sorted((small_dataset / "bag").iterdir())[0]
    out = tmp_path / "cam.png"
    env = {**os.environ, "CNNAPP_THREADS": "2"}
    cmd = [sys.executable, "-m", "cnnapp", "explain", "--run", str(run.path), str(image), "--out", str(out)]
    done = subprocess.run([*cmd, "--class", "sandal"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Grad-CAM of 'sandal'" in done.stdout and "layer features" in done.stdout
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (56, 28)
    bad = subprocess.run([*cmd, "--class", "giraffe"], capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 2 and "unknown class 'giraffe'" in bad.stderr and "Traceback" not in bad.stderr
