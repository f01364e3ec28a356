"""The course's grid: four labelled configs, four runs, one comparison table."""

import os
import subprocess
import sys

import pandas as pd
import pytest

from cnnapp.errors import ConfigError
from cnnapp.runs import all_runs
from cnnapp.training import compare
from cnnapp.training.config import TrainConfig


def test_grid_has_the_four_settings():
    base = TrainConfig(data="x", arch="tf_efficientnet_lite0", epochs=3, lr_head=1e-3, optimizer="sgd")
    configs = dict(compare.grid(base))
    assert list(configs) == list(compare.SETTINGS.values())
    a, b, c, d = configs.values()
    assert (a.pretrained, a.freeze, a.unfreeze_epochs, a.lr_backbone) == (False, False, 0, None)
    assert (b.pretrained, b.freeze, b.unfreeze_epochs) == (True, True, 0)
    assert (c.pretrained, c.freeze, c.unfreeze_epochs) == (True, False, 0)
    assert (d.pretrained, d.freeze, d.unfreeze_epochs) == (True, True, 3)
    assert all(cfg.epochs == 3 and cfg.optimizer == "sgd" and cfg.lr_head == 1e-3 for cfg in configs.values())
    assert [compare.setting_of(cfg.to_dict()) for cfg in configs.values()] == list(configs)
    assert dict(compare.grid(TrainConfig(data="x", unfreeze_epochs=2)))[compare.SETTINGS["d"]].unfreeze_epochs == 2
    local = dict(compare.grid(TrainConfig(data="x", arch="resnet18", weights="w.safetensors")))
    assert all(
        cfg.weights == "w.safetensors" and not cfg.pretrained
        for label, cfg in local.items()
        if not label.startswith("(a)")
    )


def test_grid_needs_pretrained_weights():
    with pytest.raises(ConfigError, match="lenet5 has no pretrained weights"):
        compare.grid(TrainConfig(data="x", arch="lenet5"))


def test_param_counts_split_head_and_backbone():
    head, total = compare.param_counts("tf_efficientnet_lite0", 3)
    assert head == 1280 * 3 + 3 and total == 3_374_851


@pytest.mark.slow
def test_cli_compare_trains_the_grid_and_writes_four_rows(small_dataset, tmp_path, workspace):
    env = {**os.environ, "CNNAPP_THREADS": "2"}
    args = [
        "--data",
        str(small_dataset),
        "--arch",
        "tf_efficientnet_lite0",
        "--epochs",
        "1",
        "--img-size",
        "32",
        "--batch-size",
        "16",
        "--quiet",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "cnnapp", "compare", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    csv = tmp_path / "comparison.csv"
    assert done.stdout.strip().splitlines()[-1] == "comparison.csv" and csv.is_file()
    table = pd.read_csv(csv)
    assert len(table) == 4 and list(table.columns) == compare.TABLE_COLUMNS
    assert table["setting"].tolist() == list(compare.SETTINGS.values())
    assert table["state"].eq("completed").all() and table["arch"].eq("tf_efficientnet_lite0").all()
    assert table["pretrained"].tolist() == [False, True, True, True] and table["freeze"].tolist() == [
        False,
        True,
        False,
        True,
    ]
    assert table["stages"].tolist() == ["full ×1", "frozen ×1", "full ×1", "frozen ×1 → unfrozen ×1"]
    assert table["epochs"].tolist() == [1, 1, 1, 2]
    head, total = compare.param_counts("tf_efficientnet_lite0", 3)
    assert table["trainable_params"].tolist() == [total, head, total, total] and table["total_params"].eq(total).all()
    assert table["lr_backbone"].tolist() == pytest.approx([3e-3, 3e-4, 3e-4, 3e-4])
    assert table["best_val_acc"].between(0, 1).all() and (table["train_seconds"] >= 0).all()
    for name in table.columns:
        assert name in done.stdout.splitlines()[0]

    runs = all_runs(workspace)
    assert sorted(r.id for r in runs) == sorted(table["run_id"])
    curves = compare.val_curves(runs)
    assert set(curves["run"]) == set(compare.SETTINGS.values()) and len(curves) == 5  # (d) has two epochs
    again = compare.comparison_table(sorted(runs, key=lambda r: table["run_id"].tolist().index(r.id)))
    pd.testing.assert_frame_equal(again.drop(columns="test_acc"), table.drop(columns="test_acc"), check_dtype=False)
    out = compare.export_csv(again, tmp_path / "sub" / "again.csv")
    assert len(pd.read_csv(out)) == 4


def test_cli_compare_refuses_pretrained_and_freeze_options(small_dataset):
    from cnnapp.cli import main

    assert main(["compare", "--data", str(small_dataset), "--arch", "tf_efficientnet_lite0", "--no-pretrained"]) == 2
    assert main(["compare", "--data", str(small_dataset), "--arch", "lenet5"]) == 2
