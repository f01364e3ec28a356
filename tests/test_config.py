import pytest

from cnnapp.errors import ConfigError
from cnnapp.training.config import TrainConfig, resolve


def test_architecture_defaults_are_filled():
    lite = resolve(TrainConfig(data="d"))
    assert (
        lite.pretrained
        and lite.freeze
        and lite.img_size == 128  # the architecture's 224 px, capped for pretrained weights like the app's default
        and lite.lr_backbone == pytest.approx(lite.lr_head / 10)
    )
    lenet = resolve(TrainConfig(data="d", arch="lenet5"))
    assert not lenet.pretrained and not lenet.freeze and lenet.img_size == 28 and lenet.lr_backbone == lenet.lr_head
    scratch = resolve(TrainConfig(data="d", pretrained=False))  # from scratch: the smaller size, quick on a CPU
    assert not scratch.freeze and scratch.img_size == 96
    resnet = resolve(TrainConfig(data="d", arch="resnet18"))  # no ImageNet weights offline
    assert not resnet.pretrained and resnet.img_size == 96


def test_values_from_json_strings_are_coerced():
    cfg = resolve(
        TrainConfig.from_dict({"data": "d", "arch": "lenet5", "epochs": "3", "lr-head": "0.01", "freeze": "false"})
    )
    assert cfg.epochs == 3 and cfg.lr_head == 0.01 and cfg.freeze is False


@pytest.mark.parametrize(
    "values,message",
    [
        ({"lr_head": 0}, "lr_head"),
        ({"lr_backbone": float("nan")}, "lr_backbone"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.5}, "epochs must be int"),
        ({"epochs": True}, "epochs must be int"),  # a bool is not a number
        ({"lr_head": False}, "lr_head must be float"),
        ({"patience": -1}, "patience must be 0"),
        ({"batch_size": 0}, "batch_size"),
        ({"val_split": 1.0}, "val_split"),
        ({"optimizer": "lion"}, "unknown optimizer"),
        ({"scheduler": "step"}, "unknown scheduler"),
        ({"arch": "lenet5", "pretrained": True}, "no pretrained weights"),
        ({"arch": "lenet5", "unfreeze_epochs": 2}, "needs a frozen first stage"),
        ({"data": ""}, "no dataset"),
        ({"pretrained": "maybe"}, "pretrained must be bool"),
    ],
)
def test_bad_settings_are_refused_before_any_work(values, message):
    with pytest.raises(ConfigError, match=message):
        resolve(TrainConfig.from_dict({"data": "d", **values}))


def test_unknown_option_is_an_error():
    with pytest.raises(ConfigError, match="unknown option 'colour'"):
        TrainConfig.from_dict({"colour": "red"})
