"""Early stopping (`--patience N`): the rule, real trainings that stall, resuming, and the three faces' options."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from cnnapp.cli import _train_config, build_parser
from cnnapp.errors import ConfigError
from cnnapp.messages import Message
from cnnapp.runs import RunDir
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.record import Patience, Record
from cnnapp.training.train import Training, resume_training
from cnnapp.ui import build_app, train_tab

REASON = "validation accuracy did not improve for 2 epochs"


def test_patience_stops_after_n_epochs_without_a_new_best():
    rule = Patience(2)
    stops = [rule.update(acc, epoch) for epoch, acc in enumerate([0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.7], 1)]
    assert stops == [False, False, False, True, False, False, True]  # equal is not better; a new best resets
    assert (rule.best_epoch, rule.best_acc, rule.stale) == (5, 0.7, 2)
    assert str(rule.reason()) == REASON and str(Patience(1).reason()).endswith("for 1 epoch")


def test_patience_zero_never_stops_and_without_val_there_is_nothing_to_watch():
    off = Patience(0)
    assert not any(off.update(0.5, epoch) for epoch in range(1, 50))
    blind = Patience(1)
    assert not any(blind.update(None, epoch) for epoch in range(1, 10))


def test_the_record_notes_the_early_stop_and_checkpoints_carry_the_count():
    record = Record(patience=Patience(2))
    assert record.stalled("frozen", 1, (1.0, 0.5)) is None and record.stalled("frozen", 2, (0.9, 0.4)) is None
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    saved = record.checkpoint(model, optimizer, None, 0, 2)
    resumed = Record(patience=Patience(2))
    resumed.restore(saved, None)
    assert resumed.patience == record.patience and resumed.patience.stale == 1
    line = resumed.stalled("frozen", 3, None)  # no val images this epoch: nothing changes
    assert line is None and resumed.stalled("frozen", 3, (0.8, 0.5)) is not None
    assert resumed.early_stopping == {"stage": "frozen", "epoch": 3, "best_epoch": 1, "reason": REASON}
    assert resumed.facts(model)["early_stopping"] == resumed.early_stopping
    assert "early_stopping" not in Record().facts(model)
    ending = Record(patience=Patience(1))  # running out on a stage's last epoch is not stopping early
    assert ending.stalled("full", 1, (1.0, 0.5)) is None and ending.stalled("full", 2, (1.0, 0.5), last=True) is None
    assert ending.early_stopping is None and ending.patience.stale == 1
    old = {k: v for k, v in saved.items() if k not in ("patience", "early_stopping")}  # before early stopping
    fresh = Record(patience=Patience(2))
    fresh.restore(old, None)
    assert fresh.patience == Patience(2) and fresh.early_stopping is None


@pytest.mark.parametrize("value", [True, -1, 2.5, "two"])
def test_patience_must_be_a_whole_number_of_epochs(value):
    with pytest.raises(ConfigError, match="patience"):
        resolve(TrainConfig.from_dict({"data": "d", "arch": "lenet5", "patience": value}))


def test_patience_from_the_cli_the_api_config_and_the_train_tab(workspace, small_dataset):
    args = build_parser().parse_args(["train", "--data", "d", "--patience", "3"])
    assert _train_config(args).patience == 3
    assert build_parser().parse_args(["lr-find", "--data", "d", "--patience", "3"]).patience == 3
    assert resolve(TrainConfig.from_dict({"data": "d", "arch": "lenet5", "patience": "2"})).patience == 2
    dataset = {"path": str(small_dataset)}
    form = {
        "dataset": dataset,
        **{"arch": "lenet5", "pretrained": False, "freeze": False, "unfreeze_epochs": 0, "epochs": 4},
        **{"img_size": 28, "augment": "none", "lr_head": 0.01, "lr_backbone": None, "optimizer": "adam"},
        **{"scheduler": "none", "batch_size": 8, "seed": 0},
    }
    assert train_tab.settings({**form, "patience": 2})["patience"] == 2
    assert "patience" not in train_tab.settings({**form, "patience": None})
    demo = build_app(workspace)
    by_id = {getattr(b, "elem_id", None): b for b in demo.blocks.values()}
    (start,) = [fn for fn in demo.fns.values() if (by_id["start-training"]._id, "click") in fn.targets]
    assert by_id["patience"] in start.inputs


def _cfg(data: Path, **values) -> TrainConfig:
    """LeNet-5 whose val accuracy stalls at chance: the weights move (the val loss falls), the accuracy does not."""
    options = dict(arch="lenet5", epochs=10, patience=2, lr_head=1e-4, scheduler="none", batch_size=8, val_split=0.25)
    return resolve(TrainConfig(data=str(data), **{**options, **values}))


@pytest.mark.slow
def test_a_stalled_run_stops_early_with_the_best_epochs_weights(small_dataset, tmp_path, capsys):
    run = RunDir.create("x", path=tmp_path / "patient")
    status = Training(_cfg(small_dataset), run, progress=False).execute()
    assert status["state"] == "completed" and "stopped early after epoch" in status["message"]
    metrics, report = run.metrics(), run.report()
    accs = metrics["val_acc"].tolist()
    best = accs.index(max(accs)) + 1
    assert report["epochs_run"] == len(metrics) < 10
    assert report["best_epoch"] == best and len(metrics) == best + 2
    assert report["early_stopping"] == {"stage": "full", "epoch": len(metrics), "best_epoch": best, "reason": REASON}
    assert f"stage 'full' stopped early: {REASON}; keeping the best weights (epoch {best})" in capsys.readouterr().err
    losses = metrics["val_loss"].tolist()
    assert losses[best - 1] != pytest.approx(losses[-1], abs=1e-4)  # the last epoch's weights are not the best's
    assert report["val_loss"] == pytest.approx(losses[best - 1], abs=1e-4)  # the report evaluates the best
    # the same training stopped at the best epoch ends with exactly the weights that model.safetensors holds
    short = RunDir.create("x", path=tmp_path / "short")
    Training(_cfg(small_dataset, epochs=best, patience=0), short, progress=False).execute()
    kept, at_best = load_file(str(run.weights)), short.load_checkpoint()["model"]
    assert kept.keys() == at_best.keys() and all(torch.equal(kept[k], at_best[k]) for k in kept)


@pytest.mark.slow
def test_the_unfrozen_stage_still_runs_after_the_frozen_stage_stopped_early(small_dataset, tmp_path):
    cfg = _cfg(small_dataset, freeze=True, lr_head=1e-9, unfreeze_epochs=2)  # a frozen random backbone: quick
    run = RunDir.create("x", path=tmp_path / "staged")
    assert cfg.freeze and Training(cfg, run, progress=False).execute()["state"] == "completed"
    stages = run.metrics()[["epoch", "stage"]].values.tolist()
    assert stages == [[1, "frozen"], [2, "frozen"], [3, "frozen"], [11, "unfrozen"], [12, "unfrozen"]]
    assert run.report()["early_stopping"]["stage"] == "frozen" and run.report()["epochs_run"] == 5


class _StopsAfterEpoch2(Training):
    """Requests a stop (as the Stop button does) once epoch 2 is logged."""

    def log(self, line: str | Message) -> None:
        super().log(line)
        if str(line).startswith("epoch 2/"):
            self.run.request_stop()


@pytest.mark.slow
@pytest.mark.parametrize("old_checkpoint", [False, True])
def test_resuming_keeps_counting_and_older_checkpoints_still_resume(small_dataset, tmp_path, old_checkpoint):
    run = RunDir.create("x", path=tmp_path / "resumed")
    cfg = _cfg(small_dataset)
    cfg.save(run.file("config.json"))
    assert _StopsAfterEpoch2(cfg, run, progress=False).execute()["state"] == "cancelled"
    if old_checkpoint:  # as written before early stopping existed
        state = run.load_checkpoint()
        del state["patience"], state["early_stopping"]
        run.save_checkpoint(state)
    _, status = resume_training(run.path, progress=False)
    assert status["state"] == "completed"
    stopped = run.report()["early_stopping"]
    # epoch 1 was the best and epoch 2 did not beat it: the kept count stops at epoch 3, as without the stop;
    # an older checkpoint has no count, which restarts at epoch 3 (that epoch is the stage's first best)
    if old_checkpoint:
        assert stopped["epoch"] > 3 and stopped["best_epoch"] >= 3
    else:
        assert (stopped["epoch"], stopped["best_epoch"]) == (3, 1)
    assert run.report()["epochs_run"] == stopped["epoch"]
