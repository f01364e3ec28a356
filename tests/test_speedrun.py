"""The speedrun recipe: offered by name in the CLI, the API's config and the Train form; SpeedNet trains for real."""

from __future__ import annotations

import pytest
import torch

from cnnapp.cli import build_parser
from cnnapp.errors import ConfigError
from cnnapp.models.factory import create_model
from cnnapp.runs import RunDir
from cnnapp.training.config import RECIPES, TrainConfig, resolve
from cnnapp.training.train import Training


def test_speedrun_recipe_fills_the_options_left_at_their_defaults(small_dataset):
    cfg = resolve(TrainConfig(data=str(small_dataset), recipe="speedrun"))
    recipe = RECIPES["speedrun"]
    assert cfg.arch == "speednet" and cfg.img_size == 28 and cfg.pretrained is False and cfg.freeze is False
    assert {name: getattr(cfg, name) for name in recipe} == recipe
    assert cfg.recipe == "speedrun"


def test_options_given_explicitly_win_over_the_recipe(small_dataset):
    cfg = resolve(TrainConfig(data=str(small_dataset), recipe="speedrun", epochs=3, batch_size=64))
    assert (cfg.epochs, cfg.batch_size, cfg.arch) == (3, 64, "speednet")


def test_resolving_a_recipe_twice_changes_nothing(small_dataset):
    once = resolve(TrainConfig(data=str(small_dataset), recipe="speedrun"))
    assert resolve(once) == once


def test_an_unknown_recipe_is_refused_with_the_choices(small_dataset):
    with pytest.raises(ConfigError, match="unknown recipe 'fast'.*speedrun"):
        resolve(TrainConfig(data=str(small_dataset), recipe="fast"))


def test_cli_and_api_config_take_the_recipe_by_name(small_dataset):
    args = build_parser().parse_args(["train", "--data", str(small_dataset), "--recipe", "speedrun"])
    assert args.recipe == "speedrun"
    cfg = resolve(TrainConfig.from_dict({"data": str(small_dataset), "recipe": "speedrun"}))  # as the API's config
    assert cfg.arch == "speednet"


def test_train_form_recipe_fills_the_fields_it_shows_and_the_form_submits_a_valid_run(small_dataset):
    from cnnapp.ui.train_tab import RECIPE_FOLLOWING, RECIPE_SHOWN, recipe_form, settings

    values = dict(zip(RECIPE_SHOWN + RECIPE_FOLLOWING, recipe_form("speedrun")))
    assert values["arch"] == "speednet" and values["epochs"] == RECIPES["speedrun"]["epochs"]
    assert values["augment"] == RECIPES["speedrun"]["augment"]
    assert (values["pretrained"], values["freeze"], values["lr_backbone"]) == (False, False, 4e-3)  # from scratch
    form = {**values, "dataset": {"path": str(small_dataset)}, "recipe": "speedrun", "unfreeze_epochs": 0}
    form.update(seed=0, patience=0)
    cfg = resolve(TrainConfig.from_dict(settings(form)))  # as Start submits it after the recipe was picked
    assert (cfg.arch, cfg.label_smoothing, cfg.lr_backbone) == ("speednet", 0.1, 4e-3)


def test_speednet_gives_one_logit_per_class_in_channels_last():
    model = create_model("speednet", 10).to(memory_format=torch.channels_last)
    x = torch.randn(4, 3, 28, 28).contiguous(memory_format=torch.channels_last)
    assert model(x).shape == (4, 10)


@pytest.mark.slow
def test_a_tiny_training_with_the_speedrun_recipe_learns(small_dataset, workspace, tmp_path):
    cfg = resolve(TrainConfig(data=str(small_dataset), recipe="speedrun", epochs=4, batch_size=8, val_split=0.25))
    run = RunDir.create("speedrun", path=tmp_path / "run")
    status = Training(cfg, run, progress=False).execute()
    assert status["state"] == "completed"
    metrics = run.metrics()
    assert len(metrics) == 4
    assert metrics["train_loss"].iloc[-1] < metrics["train_loss"].iloc[0]


@pytest.mark.slow
def test_speedrun_bench_times_cnnapp_and_fastai_in_quick_mode(workspace):
    from bench import speedrun
    from bench.harness import Skip

    try:
        figures = {f.key: f for f in speedrun.speedrun(quick=True)}
    except Skip as reason:
        pytest.skip(str(reason))
    assert set(figures) == {"speedrun_test_acc", "speedrun_total_s", "speedrun_vs_fastai"}
    assert 0 <= figures["speedrun_test_acc"].value <= 1 and figures["speedrun_total_s"].value > 0
    assert figures["speedrun_vs_fastai"].detail["fastai s"] > 0
