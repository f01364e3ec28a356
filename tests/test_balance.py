"""Unbalanced classes: the ratio and warning at ingestion and on the Data tab, `--balance` (sampler, weights, auto),
balanced accuracy and macro-F1 beside accuracy in the record, the report, the Runs table and Compare."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from gradio.context import LocalContext
from PIL import Image
from sklearn.metrics import balanced_accuracy_score, f1_score

from cnnapp.cli import build_parser
from cnnapp.data.examples import FASHION_MNIST_CLASSES, fashion_mnist_arrays
from cnnapp.data.ingest import IMBALANCE_WARN_RATIO, Dataset, ingest
from cnnapp.data.loaders import balanced_sampler, class_weights
from cnnapp.errors import ConfigError
from cnnapp.runs import INGEST
from cnnapp.training.compare import comparison_table
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.engine import TensorBatches
from cnnapp.training.learner import balance_mode
from cnnapp.training.metrics import balanced_accuracy, confusion_matrix, macro_f1
from cnnapp.training.record import Record
from cnnapp.training.train import train
from cnnapp.ui import data_tab, runs_tab, train_tab
from cnnapp.ui.i18n import COOKIE

DEMO = Path(__file__).resolve().parents[1] / "assets" / "fashion-mnist-mini"


def unbalanced(out: Path, counts: dict[str, int]) -> Path:
    """A folder with `counts[name]` images of the demo's class `name`."""
    for name, n in counts.items():
        (out / name).mkdir(parents=True)
        for f in sorted((DEMO / name).iterdir())[:n]:
            shutil.copy(f, out / name / f.name)
    return out


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_balanced_accuracy_and_macro_f1_agree_with_scikit_learn():
    rng = np.random.default_rng(1)
    t = np.concatenate([np.zeros(150, int), rng.integers(1, 4, 50)])  # class 0 dominates
    p = np.where(rng.random(200) < 0.6, t, 0)  # and the mistakes go to it
    p[:3] = 4  # a class predicted but never true
    cm = confusion_matrix(t, p, 5)
    assert balanced_accuracy(cm) == pytest.approx(balanced_accuracy_score(t, p))
    assert macro_f1(cm) == pytest.approx(f1_score(t, p, labels=range(5), average="macro", zero_division=0))
    assert balanced_accuracy(cm) < (t == p).mean()  # accuracy flatters the large class


def test_class_weights_are_inverse_frequency_averaging_one_per_image():
    labels = [0] * 30 + [1] * 3 + [2] * 6
    w = class_weights(labels, 4)
    assert w[0] * 30 == pytest.approx(w[1] * 3) == pytest.approx(w[2] * 6)  # every class weighs the same in all
    assert float(w[torch.tensor(labels)].mean()) == pytest.approx(1.0)
    assert w[3] == 0  # no images, no weight


def test_the_sampler_and_weighted_feature_batches_draw_each_class_about_equally():
    labels = torch.tensor([0] * 1000 + [1] * 100)
    drawn = labels[list(balanced_sampler(labels, seed=3))]
    assert len(drawn) == 1100 and 0.45 < float(drawn.float().mean()) < 0.55
    x = torch.arange(1100).float().unsqueeze(1)
    batches = TensorBatches(x, labels, 100, True, seed=3, weights=class_weights(labels, 2)[labels])
    seen = torch.cat([y for _, y in batches])
    assert len(seen) == 1100 and 0.45 < float(seen.float().mean()) < 0.55
    plain = torch.cat([y for _, y in TensorBatches(x, labels, 100, True, seed=3)])
    assert sorted(plain.tolist()) == sorted(labels.tolist())  # without weights: each row once


def test_balance_is_validated_and_comes_from_the_cli_the_api_config_and_the_train_form(demo_dir):
    assert resolve(TrainConfig(data=str(demo_dir), arch="lenet5", balance="weights")).balance == "weights"
    with pytest.raises(ConfigError, match="unknown balance 'oversample'; choose one of none, sampler"):
        resolve(TrainConfig(data=str(demo_dir), arch="lenet5", balance="oversample"))
    args = build_parser().parse_args(["train", "--data", "x", "--balance", "sampler"])
    assert args.balance == "sampler"
    assert TrainConfig.from_dict(json.loads('{"balance": "auto"}')).balance == "auto"  # the API's config JSON
    form = {"dataset": {"path": str(demo_dir)}, "pretrained": False, "freeze": False, "unfreeze_epochs": 0}
    form |= {"augment": "none", "lr_backbone": None, "balance": "weights"}
    assert train_tab.settings(form)["balance"] == "weights"


def test_auto_weighs_the_loss_only_past_the_warn_ratio():
    assert balance_mode("auto", IMBALANCE_WARN_RATIO + 0.1) == "weights"
    assert balance_mode("auto", IMBALANCE_WARN_RATIO) == "none"
    assert balance_mode("sampler", 10.0) == "sampler"
    assert balance_mode("sampler", 10.0, distributed=True) == "weights"  # torchrun's ranks read shards
    assert balance_mode("none", 10.0) == "none"


def test_ingestion_reports_the_ratio_and_warns_past_it(tmp_path, small_dataset):
    found = ingest(unbalanced(tmp_path / "u", {"bag": 40, "sandal": 40, "trouser": 8}), seed=0)
    train_counts = found.counts()["train"]
    assert found.imbalance() == pytest.approx(max(train_counts.values()) / train_counts["trouser"])
    assert found.imbalance() > IMBALANCE_WARN_RATIO
    warning = [w for w in found.warnings if w.startswith("unbalanced classes")]
    assert len(warning) == 1 and "'trouser' 6" in warning[0] and ":1, over 3:1" in warning[0]
    found.save(tmp_path / "ingest.json")
    saved = Dataset.load(tmp_path / "ingest.json")
    assert saved.imbalance() == pytest.approx(found.imbalance()) and saved.warnings == found.warnings
    assert found.report()["imbalance"] == pytest.approx(found.imbalance(), abs=1e-3)
    balanced = ingest(small_dataset)
    assert balanced.imbalance() == 1.0 and balanced.imbalance_warning() is None
    assert not [w for w in balanced.warnings if "unbalanced" in w]


def test_the_data_tabs_summary_shows_the_ratio_and_the_warning_in_the_pages_language(tmp_path, small_dataset):
    found = ingest(unbalanced(tmp_path / "u", {"bag": 40, "sandal": 40, "trouser": 8}), seed=0)
    text = data_tab._summary(found, "u")
    assert f"**{found.imbalance():.1f}:1**" in text and "⚠ unbalanced classes: 'bag' has 32" in text
    token = LocalContext.request.set(SimpleNamespace(headers={}, cookies={COOKIE: "es"}))
    try:
        spanish = data_tab._summary(found, "u")
    finally:
        LocalContext.request.reset(token)
    assert "Equilibrio de clases" in spanish and "⚠ clases desequilibradas: 'bag' tiene 32" in spanish
    calm = data_tab._summary(ingest(small_dataset), "small")
    assert "**1.0:1**" in calm and "⚠" not in calm


def test_the_record_keeps_each_epochs_scores_and_the_best_ones_across_a_checkpoint():
    record = Record()
    record.score(1, {"val_balanced_acc": 0.5, "val_macro_f1": 0.4})
    record.best_epoch = 1
    record.score(2, {"val_balanced_acc": 0.45, "val_macro_f1": 0.42})
    assert record.best_scores() == {"best_val_balanced_acc": 0.5, "best_val_macro_f1": 0.4}
    model = torch.nn.Linear(2, 2)
    saved = record.checkpoint(model, torch.optim.SGD(model.parameters(), lr=0.1), None, 0, 2)
    again = Record()
    again.restore(saved, None)
    assert again.epoch_scores == record.epoch_scores and again.best_scores() == record.best_scores()
    assert Record().best_scores() == {}


# ----- a real 10:1 training ----------------------------------------------------------------------------------------

TEN_TO_ONE = {"tshirt_top": 200, "pullover": 200, "shirt": 20}  # shirts look like both: the small class is lost


def ten_to_one(out: Path, val_per_class: int = 60) -> Path:
    """Fashion-MNIST's T-shirts, pullovers and shirts, 10:1:10 in train and balanced in val."""
    images, labels = fashion_mnist_arrays("train")
    for split, counts in (("train", TEN_TO_ONE), ("val", dict.fromkeys(TEN_TO_ONE, val_per_class))):
        for name, n in counts.items():
            rows = np.flatnonzero(labels == FASHION_MNIST_CLASSES.index(name))
            (out / split / name).mkdir(parents=True)
            for i in rows[:n] if split == "train" else rows[-n:]:
                Image.fromarray(images[i], mode="L").save(out / split / name / f"{i:05d}.png")
    return out


@pytest.mark.slow
def test_sampler_or_weights_beat_none_on_balanced_accuracy_at_ten_to_one(tmp_path, workspace, capsys):
    data = ten_to_one(tmp_path / "fm10")
    scores, runs, logs = {}, [], []
    for balance in ("none", "sampler", "weights"):
        cfg = TrainConfig(data=str(data), arch="lenet5", epochs=8, lr_head=3e-3, seed=0, balance=balance)
        run, status = train(cfg, progress=False)
        assert status["state"] == "completed", status["message"]
        logs.append(capsys.readouterr().err)
        report = run.report()
        scores[balance] = report["val_balanced_accuracy"]
        assert status["best_val_balanced_acc"] == pytest.approx(report["val_balanced_accuracy"])
        assert status["best_val_macro_f1"] == pytest.approx(report["macro_f1"])
        assert [s["epoch"] for s in report["epoch_scores"]] == list(range(1, 9))
        runs.append(run)
    print("balanced accuracy at 10:1:", scores)
    assert max(scores["sampler"], scores["weights"]) > scores["none"]
    assert "unbalanced classes: 'pullover' has 200" in " ".join(runs[0].file(INGEST).read_text().split())
    assert "warning: unbalanced classes" in logs[0] and "balanced with" not in logs[0]
    assert "unbalanced classes (10.0:1): balanced with sampler (--balance sampler)" in logs[1]
    table = comparison_table(runs)
    assert list(table["balance"]) == ["none", "sampler", "weights"]
    assert list(table["best_val_balanced_acc"]) == pytest.approx(list(scores.values()))
    shown = runs_tab.runs_frame(workspace)
    assert f"{scores['sampler']:.1%}" in list(shown["balanced acc"])


@pytest.mark.slow
@pytest.mark.parametrize("balance", ["sampler", "weights"])
def test_balancing_works_through_the_frozen_backbones_feature_cache(tmp_path, workspace, capsys, balance):
    data = unbalanced(tmp_path / "u", {"bag": 40, "sandal": 40, "trouser": 8})
    cfg = TrainConfig(data=str(data), freeze=True, epochs=2, img_size=64, seed=0, balance=balance)
    run, status = train(cfg, progress=False)
    assert status["state"] == "completed", status["message"]
    assert f"balanced with {balance}" in capsys.readouterr().err
    assert 0 <= status["best_val_balanced_acc"] <= 1 and run.report()["val_balanced_accuracy"] is not None


def test_the_compare_tabs_grid_trains_every_setting_with_the_chosen_balance(demo_dir):
    from cnnapp.training.compare import grid
    from cnnapp.ui import compare_tab

    base = compare_tab._base({"path": str(demo_dir)}, "tf_efficientnet_lite0", 1, 0, 64, None, "none", "sampler")
    assert [cfg.balance for _, cfg in grid(base)] == ["sampler"] * 4
    assert compare_tab._base({"path": str(demo_dir)}, "lenet5", 1, 0, 32, None, "none").balance == "none"
