"""The learning-rate finder: the range test, its suggestion, the `lr-find` command and the Train tab's button."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import gradio as gr
import pytest
import torch
from PIL import Image
from torch import nn

from cnnapp.cli import main
from cnnapp.errors import LRFindError
from cnnapp.jobs.worker import JobManager
from cnnapp.training.config import TrainConfig
from cnnapp.training.engine import TensorBatches
from cnnapp.training.lr_find import find_lr, range_test, steepest, valley
from cnnapp.training.train import train
from cnnapp.ui import lr_finder
from cnnapp.ui.common import user_errors
from cnnapp.ui.train_tab import settings


def test_valley_and_steepest_descent_on_a_known_curve():
    lrs = [10 ** (-6 + i / 4) for i in range(25)]  # 1e-6 … 1, four points a decade
    # flat for 6 points, falling for 11 (fastest from point 9 to 10), then rising
    drops = [0.05, 0.1, 0.2, 0.3, 0.6, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02]
    losses = [2.0] * 6
    for d in drops:
        losses.append(losses[-1] - d)
    losses += [losses[-1] + 0.2 * (i + 1) for i in range(25 - len(losses))]
    # the longest decreasing run is points 5…16 (12 points); fastai starts it at 16 - 12 = 4: 4 + 12/3 + 12/6 = 10
    assert valley(lrs, losses) == lrs[10]
    assert steepest(lrs, losses) == lrs[9]  # the 0.6 drop from point 9 to 10
    assert steepest(lrs[:5], [3.0, 2.9, 2.0, 1.9, 1.85]) == lrs[1]


def tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)
    )


def test_the_range_test_sweeps_exponentially_stops_on_divergence_and_restores_the_model():
    model = tiny_model()
    model[1].eval()  # a frozen BatchNorm: its mode must come back too
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = torch.randn(64, 3, 8, 8), torch.randint(0, 3, (64,))
    optimizer = torch.optim.SGD(
        [{"params": model[0].parameters(), "lr": 0.1}, {"params": model[5].parameters(), "lr": 1.0}], momentum=0.9
    )
    seen = []
    sweep = range_test(
        model,
        optimizer,
        TensorBatches(x, y, 16, True),
        nn.CrossEntropyLoss(),
        lambda t: t,
        torch.device("cpu"),
        start_lr=1e-4,
        end_lr=1e4,
        steps=60,
        on_step=lambda: seen.append(optimizer.param_groups[0]["lr"] / optimizer.param_groups[1]["lr"]),
    )
    assert sweep.diverged and 2 < len(sweep.lrs) < 60  # 1e4 with momentum blows up well before the end
    assert sweep.lrs[0] == pytest.approx(1e-4)
    ratios = [b / a for a, b in zip(sweep.lrs, sweep.lrs[1:])]
    assert ratios == pytest.approx([10 ** (8 / 59)] * len(ratios))
    assert seen == pytest.approx([0.1] * len(seen))  # the backbone group keeps its ratio to the head's
    assert sweep.smoothed[0] == pytest.approx(sweep.losses[0])  # bias-corrected from the first step
    assert sweep.smoothed[1] == pytest.approx((0.98 * 0.02 * sweep.losses[0] + 0.02 * sweep.losses[1]) / (1 - 0.98**2))
    assert max(sweep.smoothed) > 4 * min(sweep.smoothed) or not math.isfinite(sweep.smoothed[-1])
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert model.training and not model[1].training
    assert all(p.grad is None for p in model.parameters())


def test_a_sweep_that_diverges_at_once_is_refused_with_advice(demo_dir, workspace):
    with pytest.raises(LRFindError, match="diverged after only"):
        find_lr(TrainConfig(data=str(demo_dir), arch="lenet5", img_size=32), steps=40, start_lr=1e3, end_lr=1e6)


@pytest.mark.slow
def test_the_suggestion_trains_at_least_as_well_as_the_default_rate(demo_dir, workspace):
    cfg = TrainConfig(data=str(demo_dir))  # the app's default setup: frozen pretrained EfficientNet-Lite0
    result = find_lr(cfg)
    print(f"lr-find on the example: {result.seconds:.1f} s, {result.summary()}")
    assert result.frozen and result.feature_cache and result.method == "valley" and result.lr_backbone is None
    assert 1e-5 < result.lr_head < 1e-1 and result.steps <= 100
    assert not (workspace / "runs").exists()  # the finder never writes a run
    acc = {}
    for name, lr in (("default", cfg.lr_head), ("suggested", result.lr_head)):
        run, status = train(TrainConfig(data=str(demo_dir), lr_head=lr), progress=False)
        assert status["state"] == "completed", status
        acc[name] = json.loads(run.file("report.json").read_text())["val_accuracy"]
    print(
        f"val accuracy with the default rate {cfg.lr_head:g}: {acc['default']:.1%}, suggested: {acc['suggested']:.1%}"
    )
    assert acc["suggested"] >= acc["default"] - 3 / 80  # 80 validation images: within 3 of them


@pytest.mark.slow
def test_the_command_prints_the_suggestion_and_writes_the_curve(demo_dir, workspace, tmp_path, capsys):
    png, data = tmp_path / "curve.png", tmp_path / "curve.json"
    args = ["lr-find", "--data", str(demo_dir), "--arch", "lenet5", "--steps", "60", "--quiet"]
    assert main([*args, "--out", str(png)]) == 0
    text = capsys.readouterr().out
    assert "suggested learning rate:" in text and "(the valley of the loss curve)" in text and "whole network" in text
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 300
    assert main([*args, "--format", "json", "--out", str(data)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(data.read_text())
    assert printed["method"] == "valley" and printed["lr_head"] in printed["lrs"] and not printed["frozen"]
    assert len(printed["lrs"]) == len(printed["losses"]) == len(printed["smoothed"]) == printed["steps"]
    assert printed["lr_backbone"] == pytest.approx(printed["lr_head"])  # from scratch: one rate for all
    assert not (workspace / "runs").exists()
    assert main([*args, "--out", str(tmp_path / "curve.txt")]) == 2
    assert ".png or .json" in capsys.readouterr().err


FORM = {
    "arch": "tf_efficientnet_lite0",
    "pretrained": True,
    "freeze": True,
    "unfreeze_epochs": 0,
    "epochs": 5,
    "img_size": 96,
    "augment": "none",
    "lr_head": 0.003,
    "lr_backbone": None,
    "optimizer": "adamw",
    "scheduler": "onecycle",
    "batch_size": 32,
    "seed": 0,
}


def options(dataset: str | None, **changes) -> dict:
    """The training options of the Train form (`settings`) on `dataset`, with `changes`."""
    return settings({"dataset": {"path": dataset} if dataset else None, **FORM, **changes})


def canned(jobs: JobManager, monkeypatch: pytest.MonkeyPatch, **result) -> list[tuple[list[str], dict]]:
    calls = []
    reply = {
        "lr_head": 0.0015922,
        "lr_backbone": None,
        "method": "valley",
        "valley": 0.0015922,
        "steepest": 0.0048626,
        "frozen": True,
        "feature_cache": True,
        "diverged": True,
        "steps": 3,
        "seconds": 4.2,
        "lrs": [1e-7, 1e-3, 1.0],
        "losses": [2.3, 1.5, 9.0],
        "smoothed": [2.3, 2.0, 5.0],
        **result,
    }

    def run_tool(args: list[str], timeout: float) -> subprocess.CompletedProcess:
        config = args[args.index("--config") + 1]
        calls.append((args, json.loads(open(config).read())))  # the file is there while the process runs
        return subprocess.CompletedProcess(args, 0, "noise\n" + json.dumps(reply) + "\n", "")

    monkeypatch.setattr(jobs, "run_tool", run_tool)
    return calls


def test_the_button_runs_the_finder_as_a_worker_command_and_fills_the_head_rate(demo_dir, workspace, monkeypatch):
    jobs = JobManager(workspace)
    calls = canned(jobs, monkeypatch)
    plot, lr_head, lr_backbone, note = lr_finder.suggest(jobs, options(str(demo_dir)))
    ((args, config),) = calls
    assert args[0] == "lr-find" and "--format=json" in args and len(args) == 5, "the options travel in the file"
    assert config["data"] == str(demo_dir) and config["pretrained"] and config["freeze"] and config["img_size"] == 96
    assert (config["lr_head"], config["optimizer"]) == (0.003, "adamw")
    assert config["lr_backbone"] == pytest.approx(0.0003), "resolved as a training's config is"
    assert not Path(args[2]).exists(), "the config file is removed once the finder has run"
    assert plot.visible and plot.value is not None
    assert lr_head == 0.0016 and lr_backbone == gr.skip()
    assert "**0.0016**" in note.value and "valley" in note.value and "--" not in note.value


def test_when_fine_tuning_the_backbone_gets_a_tenth_of_the_head_rate(demo_dir, workspace, monkeypatch):
    jobs = JobManager(workspace)
    canned(jobs, monkeypatch, lr_backbone=0.00015922)
    _, lr_head, lr_backbone, note = lr_finder.suggest(jobs, options(str(demo_dir), unfreeze_epochs=2))
    assert (lr_head, lr_backbone) == (0.0016, 0.00016)
    assert "÷ 10" in note.value and "0.00016" in note.value


def test_finder_failures_reach_the_user_as_one_clear_message(demo_dir, workspace, monkeypatch):
    jobs = JobManager(workspace)
    handler = user_errors(lambda dataset, **changes: lr_finder.suggest(jobs, options(dataset, **changes)))
    with pytest.raises(gr.Error, match="no dataset chosen"):
        handler(None)
    with pytest.raises(gr.Error, match="batch_size must be at least 1"):
        handler(str(demo_dir), batch_size=0)

    def failing(args, timeout):
        return subprocess.CompletedProcess(args, 2, "", "Traceback …\nerror: out of memory: use a smaller batch size\n")

    monkeypatch.setattr(jobs, "run_tool", failing)
    with pytest.raises(gr.Error, match="Could not suggest a learning rate: out of memory: use a smaller batch size"):
        handler(str(demo_dir))


@pytest.mark.slow
def test_the_button_really_runs_the_finder_in_a_worker_process(demo_dir, workspace):
    jobs = JobManager(workspace, threads=2)
    plot, lr_head, _, note = lr_finder.suggest(jobs, options(str(demo_dir)))
    assert 1e-5 < lr_head < 1e-1 and f"**{lr_head:g}**" in note.value and "only the head" in note.value
    assert plot.value is not None and not (workspace / "runs").exists()
