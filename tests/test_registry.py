import json
import subprocess
import sys

import pytest
import torch

from cnnapp.errors import ConfigError
from cnnapp.models import registry
from cnnapp.models.factory import FeatureTap, create_model, head_of, replace_head, split_params

PUBLISHED = {
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "googlenet": 6_624_904,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "resnet152": 60_192_808,
    "densenet121": 7_978_856,
    "efficientnet_b0": 5_288_548,
    "mobilenetv3_large_100": 5_483_032,
    "convnext_tiny": 28_589_128,
    "tf_efficientnet_lite0": 4_652_008,
}
COURSE = ["lenet5", "alexnet", "vgg16", "vgg19", "googlenet", "resnet18", "resnet50", "resnet152", "densenet121"]
MODERN = ["tf_efficientnet_lite0", "efficientnet_b0", "mobilenetv3_large_100", "convnext_tiny"]
CNNAPP_OWN = ["speednet"]


def test_registry_names_cover_course_and_modern():
    assert registry.names() == COURSE + MODERN + CNNAPP_OWN


@pytest.mark.parametrize("name,expected", PUBLISHED.items())
def test_parameter_counts_match_published_figures(name, expected):
    assert registry.count_params(name) == expected


@pytest.mark.parametrize("name", COURSE + MODERN)
def test_every_architecture_builds_with_new_head_and_splits(name):
    spec = registry.get_spec(name)
    with torch.device("meta"):
        model = registry.build(spec, 1000)
        replace_head(model, spec, 7)
        out = model.eval()(torch.empty(2, 3, max(spec.min_input_size, 64), max(spec.min_input_size, 64), device="meta"))
    assert out.shape == (2, 7)
    backbone, head = split_params(model, spec)
    assert isinstance(head_of(model, spec), torch.nn.Linear)
    assert sum(p.numel() for p in head) == head_of(model, spec).in_features * 7 + 7
    assert len(backbone) + len(head) == len(list(model.parameters()))


@pytest.mark.parametrize(
    "name,size", [("lenet5", 28), ("resnet18", 64), ("mobilenetv3_large_100", 64), ("googlenet", 64)]
)
def test_real_forward_and_feature_tap(name, size):
    spec = registry.get_spec(name)
    model = create_model(name, 4).eval()
    x = torch.randn(2, 3, size, size)
    with FeatureTap(model, spec) as tap, torch.no_grad():
        logits = model(x)
    assert logits.shape == (2, 4)
    torch.testing.assert_close(head_of(model, spec)(tap.features), logits)


def test_spec_facts():
    lite0 = registry.get_spec("tf_efficientnet_lite0")
    assert lite0.pretrained_offline and lite0.mean == (0.5, 0.5, 0.5) and lite0.std == (0.5, 0.5, 0.5)
    assert registry.get_spec("resnet50").mean == (0.485, 0.456, 0.406)
    assert registry.get_spec("alexnet").source == "torchvision"
    assert registry.get_spec("lenet5").year == 1998 and not registry.get_spec("lenet5").pretrained_online
    other = registry.get_spec("resnet34")
    assert other.source == "timm" and other.family == "resnet"


def test_unknown_architecture_and_too_small_images():
    with pytest.raises(ConfigError, match="unknown architecture"):
        registry.get_spec("resnet9000")
    for name in ("alexnet", "googlenet"):
        with pytest.raises(ConfigError, match="too small"):
            registry.check_input_size(name, 16)
    registry.check_input_size("lenet5", 28)


@pytest.mark.slow
def test_models_cli_json():
    out = subprocess.run(
        [sys.executable, "-m", "cnnapp", "models", "--format", "json"], capture_output=True, text=True, check=True
    )
    rows = json.loads(out.stdout)
    by_name = {r["name"]: r for r in rows}
    for key in ("name", "family", "year", "params", "input_size", "pretrained_offline"):
        assert all(key in r for r in rows)
    assert by_name["vgg16"]["params"] == 138_357_544
    assert by_name["tf_efficientnet_lite0"]["pretrained_offline"] is True
    table = subprocess.run(
        [sys.executable, "-m", "cnnapp", "models"], capture_output=True, text=True, check=True
    ).stdout
    assert "61,100,840" in table and "densenet121" in table
