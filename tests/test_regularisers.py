"""timm's regularisers as training options: mixup and cutmix (timm's Mixup, soft targets) and an EMA of the weights
(timm's ModelEmaV3), validated, mixed into training batches only, and the EMA's weights validated and saved."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from cnnapp.errors import ConfigError
from cnnapp.messages import Message
from cnnapp.runs import EVENTS, RunDir
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.engine import TensorBatches, make_optimizer, train_one_epoch
from cnnapp.training.regularisers import Mixing
from cnnapp.training.train import train

CPU = torch.device("cpu")


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("mixup", -0.2, "mixup must be 0 (off) or a positive alpha, got -0.2"),
        ("cutmix", float("inf"), "cutmix must be 0 (off) or a positive alpha, got inf"),
        ("ema_decay", 1.0, "ema_decay must be 0 (off) or in (0, 1), e.g. 0.999, got 1.0"),
        ("ema_decay", -0.5, "ema_decay must be 0 (off) or in (0, 1)"),
        ("mixup", "lots", "mixup must be float (a number), got 'lots'"),
    ],
)
def test_bad_regulariser_values_are_refused_in_one_line(option, value, words):
    with pytest.raises(ConfigError) as caught:
        resolve(TrainConfig.from_dict({"data": "x", "arch": "lenet5", option: value}))
    assert str(caught.value).startswith(words) and "\n" not in str(caught.value)


def test_good_regulariser_values_are_kept_and_off_by_default():
    cfg = resolve(
        TrainConfig.from_dict({"data": "x", "arch": "lenet5", "mixup": "0.2", "cutmix": 1, "ema-decay": 0.99})
    )
    assert (cfg.mixup, cfg.cutmix, cfg.ema_decay) == (0.2, 1.0, 0.99)
    plain = TrainConfig()
    assert (plain.mixup, plain.cutmix, plain.ema_decay) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(("mixup", "cutmix"), [(0.4, 0.0), (0.0, 1.0)])
def test_mixing_changes_the_batch_and_gives_soft_targets(demo_dir, mixup, cutmix):
    from cnnapp.data.images import load_square_array

    files = [sorted((demo_dir / name).iterdir())[0] for name in ("bag", "sandal", "trouser", "bag")]
    x = torch.stack(
        [torch.from_numpy(load_square_array(f, 28).astype(np.float32) / 255).permute(2, 0, 1) for f in files]
    )
    y = torch.tensor([0, 1, 2, 0])
    np.random.seed(0)  # timm's Mixup draws its lambda from NumPy
    mix = Mixing(TrainConfig(mixup=mixup, cutmix=cutmix, label_smoothing=0.1), num_classes=3)
    mixed, targets = mix(x.clone(), y)
    assert mixed.shape == x.shape and not torch.equal(mixed, x)
    assert targets.shape == (4, 3) and torch.allclose(targets.sum(1), torch.ones(4))
    assert float(targets[0, 0]) == pytest.approx(0.9 + 0.1 / 3)  # image 0 mixed with image 3, both class 0
    assert 0 < float(targets[1].max()) < 1 and float(targets[1, 1]) + float(targets[1, 2]) > 0.9
    if cutmix:  # a patch of image 2 pasted into image 1, the rest untouched
        assert ((mixed[1] - x[1]).abs() < 1e-6).float().mean() > 0.2
    else:  # a blend of image 1 and image 2, with the weights of its target
        blend = x[1] * (float(targets[1, 1]) - 0.1 / 3) / 0.9 + x[2] * (float(targets[1, 2]) - 0.1 / 3) / 0.9
        assert torch.allclose(mixed[1], blend, atol=1e-5)
    odd, soft = mix(x[:3].clone(), y[:3])  # timm's Mixup needs an even batch: the last image is left out
    assert odd.shape[0] == 2 and soft.shape == (2, 3)
    one, single = mix(x[:1].clone(), y[:1])  # a batch of one is not mixed, only a soft target
    assert torch.equal(one, x[:1]) and single.argmax(1).tolist() == [0]


def test_train_one_epoch_steps_on_the_mixed_batch_and_calls_after_each_step():
    from timm.loss import SoftTargetCrossEntropy

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 8, generator=g), torch.arange(16) % 2
    seen, steps = [], []

    def mix(images, targets):
        seen.append(images.clone())
        return images.flip(0), nn.functional.one_hot(targets.flip(0), 2).float()

    model = nn.Linear(8, 2)
    opt = make_optimizer("sgd", [{"params": model.parameters(), "lr": 0.1}], 0.0, 0.0)
    result = train_one_epoch(
        model, TensorBatches(x, y, 8, False), opt, SoftTargetCrossEntropy(), lambda t: t, CPU,
        mix=mix, after_step=lambda: steps.append(1),
    )  # fmt: skip
    assert len(seen) == 2 and len(steps) == 2 and result.images == 16 and 0 <= result.acc <= 1


@pytest.mark.slow  # a real LeNet-5 training (one epoch: the best, so its weights are the ones saved)
def test_ema_weights_are_validated_and_saved_and_the_options_recorded(small_dataset):
    options = dict(data=str(small_dataset), arch="lenet5", epochs=1, batch_size=8, seed=3, precision="fp32")
    run, status = train(TrainConfig(**options, mixup=0.2, cutmix=1.0, ema_decay=0.9), progress=False)
    assert status["state"] == "completed", status
    config = json.loads(run.file("config.json").read_text())
    assert (config["mixup"], config["cutmix"], config["ema_decay"]) == (0.2, 1.0, 0.9)
    checkpoint = run.load_checkpoint()
    raw, ema, saved = checkpoint["model"], checkpoint["ema"], load_file(str(run.weights))
    assert checkpoint["ema_steps"] > 0
    assert any(not torch.equal(raw[k], ema[k]) for k in raw if raw[k].is_floating_point())
    assert saved.keys() == ema.keys() and all(torch.equal(saved[k], ema[k]) for k in saved)  # the EMA's, not raw
    assert any(not torch.equal(saved[k], raw[k]) for k in saved if saved[k].is_floating_point())
    plain, _ = train(TrainConfig(**options), progress=False)
    assert "ema" not in plain.load_checkpoint()


@pytest.mark.slow  # a real frozen EfficientNet-Lite0 training (1 epoch)
def test_a_frozen_stage_mixes_through_the_images_and_says_so(small_dataset):
    run, status = train(
        TrainConfig(data=str(small_dataset), epochs=1, img_size=32, batch_size=8, mixup=0.2), progress=False
    )
    assert status["state"] == "completed", status
    events = [json.loads(line) for line in run.file(EVENTS).read_text().splitlines()]
    codes = [Message.from_dict(e["log"]).code for e in events if isinstance(e, dict) and "log" in e]
    assert "log.mixing_no_cache" in codes
    assert RunDir(run.path).has_weights()


def test_the_course_mixes_two_pictures_as_training_does_and_names_the_mixed_label():
    from cnnapp.course import mixing

    black, white = np.zeros((32, 32, 3), np.uint8), np.full((32, 32, 3), 255, np.uint8)
    blend = mixing.mix(black, white, "mixup", 1.0, seed=0)
    assert 0 < blend.lam < 1 and np.allclose(blend.image, round(255 * (1 - blend.lam)), atol=1)
    box = mixing.mix(black, white, "cutmix", 1.0, seed=0)
    assert set(np.unique(box.image)) == {0, 255}  # a box pasted, nothing blended
    assert (box.image == 255).mean() == pytest.approx(1 - box.lam, abs=1e-6)  # λ: the share of a left
    assert mixing.Mixed("mixup", black, 0.7).label("tshirt top", "sneaker") == "0.70 tshirt top + 0.30 sneaker"
    assert mixing.Mixed("mixup", black, 0.25).label("a", "b") == "0.75 b + 0.25 a"
    state = np.random.get_state()[1].copy()
    again = mixing.mix(black, white, "mixup", 1.0, seed=0)
    assert again.lam == blend.lam and np.array_equal(np.random.get_state()[1], state)  # NumPy's generator untouched
    with pytest.raises(ConfigError, match="unknown mix 'blur'"):
        mixing.mix(black, white, "blur", 1.0, 0)


def test_the_learn_tab_shows_a_mixup_and_a_cutmix_of_two_example_pictures():
    from matplotlib.figure import Figure

    from cnnapp.ui.learn import mixing

    assert ("tshirt top", "tshirt_top") in mixing.class_names() and len(mixing.class_names()) == 10
    figure, labels = mixing.mix_view("tshirt_top", "sneaker", 1.0, 3)
    assert isinstance(figure, Figure) and len(figure.axes) == 4
    lines = labels.splitlines()
    assert len(lines) == 2 and lines[0].startswith("- **mixup**: label **") and "**cutmix**" in lines[1]
    assert all("tshirt top" in line and "sneaker" in line for line in lines), labels


def test_the_train_form_passes_the_regularisers_and_leaves_blank_ones_out(small_dataset):
    from cnnapp.ui import train_tab

    form = {
        "dataset": {"path": str(small_dataset)},
        **{"arch": "lenet5", "pretrained": False, "freeze": False, "unfreeze_epochs": 0, "epochs": 1},
        **{"img_size": 28, "augment": "none", "lr_head": 0.01, "lr_backbone": None, "optimizer": "adam"},
        **{"scheduler": "none", "batch_size": 8, "seed": 0, "patience": 0},
    }
    values = train_tab.settings({**form, "mixup": 0.2, "cutmix": 1.0, "ema_decay": 0.999})
    assert (values["mixup"], values["cutmix"], values["ema_decay"]) == (0.2, 1.0, 0.999)
    assert "mixup" not in train_tab.settings({**form, "mixup": None})
    cfg = resolve(TrainConfig.from_dict(values))
    assert (cfg.mixup, cfg.cutmix, cfg.ema_decay) == (0.2, 1.0, 0.999)
