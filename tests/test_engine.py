import json

import pytest
import torch
from torch import nn

from cnnapp.errors import NonFiniteLoss
from cnnapp.messages import Message, render
from cnnapp.models.factory import create_model, set_frozen, set_train_mode, split_params
from cnnapp.models.registry import get_spec
from cnnapp.runs import EVENTS, RunDir
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.engine import (
    Divergence,
    FeatureCache,
    StopTraining,
    TensorBatches,
    evaluate_batches,
    make_optimizer,
    make_scheduler,
    train_one_epoch,
)
from cnnapp.training.train import Training, plan_stages, train
from cnnapp.ui.strings.engine import ES as ENGINE_ES

CPU = torch.device("cpu")


def _toy(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    y = (x[:, 0] > 0).long()
    return x, y


def test_train_one_epoch_learns_and_evaluate_reports():
    x, y = _toy()
    model = nn.Linear(8, 2)
    opt = make_optimizer("sgd", [{"params": model.parameters(), "lr": 0.5}], 0.0, 0.9)
    loss_fn = nn.CrossEntropyLoss()
    before = evaluate_batches(model, TensorBatches(x, y, 16, False), loss_fn, lambda t: t, CPU)
    for epoch in range(5):
        train_one_epoch(model, TensorBatches(x, y, 16, True, epoch), opt, loss_fn, lambda t: t, CPU)
    after = evaluate_batches(model, TensorBatches(x, y, 16, False), loss_fn, lambda t: t, CPU)
    assert after.loss < before.loss and after.acc > 0.9
    assert after.probs.shape == (64, 2) and torch.allclose(after.probs.sum(1), torch.ones(64))


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax"])
def test_every_optimizer_keeps_per_group_learning_rates(name):
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    opt = make_optimizer(
        name, [{"params": a.parameters(), "lr": 1e-4}, {"params": b.parameters(), "lr": 1e-2}], 1e-4, 0.9
    )
    assert [g["lr"] for g in opt.param_groups] == [1e-4, 1e-2]
    for sched in ("cosine", "onecycle"):
        inner = make_optimizer(name, [{"params": a.parameters(), "lr": 1e-3}], 0, 0.9)
        s = make_scheduler(sched, inner, 10)
        start = inner.param_groups[0]["lr"]
        for _ in range(5):
            inner.step()
            s.step()
        assert inner.param_groups[0]["lr"] != start, f"{sched} left the learning rate at {start}"
    assert make_scheduler("none", opt, 10) is None


def test_stop_is_honoured_within_one_batch():
    x, y = _toy()
    model = nn.Linear(8, 2)
    opt = make_optimizer("sgd", [{"params": model.parameters(), "lr": 0.1}], 0, 0)
    seen = []
    with pytest.raises(StopTraining):
        train_one_epoch(
            model,
            TensorBatches(x, y, 8, False),
            opt,
            nn.CrossEntropyLoss(),
            lambda t: t,
            CPU,
            on_batch=lambda b, n, loss: seen.append(b),
            should_stop=lambda: len(seen) >= 2,
        )
    assert seen == [1, 2]


def test_non_finite_loss_is_reported():
    x, y = _toy()
    x[0, 0] = float("nan")
    model = nn.Linear(8, 2)
    opt = make_optimizer("sgd", [{"params": model.parameters(), "lr": 0.1}], 0, 0)
    with pytest.raises(NonFiniteLoss, match="lower the learning rate"):
        train_one_epoch(model, TensorBatches(x, y, 64, False), opt, nn.CrossEntropyLoss(), lambda t: t, CPU)


def test_freeze_keeps_backbone_weights_and_batchnorm_statistics():
    spec = get_spec("resnet18")
    model = create_model("resnet18", 3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    set_frozen(model, spec, True)
    set_train_mode(model, spec, frozen=True)
    assert not model.bn1.training and model.fc.training
    backbone, head = split_params(model, spec)
    opt = make_optimizer("adamw", [{"params": head, "lr": 1e-2}], 0.0, 0.9)
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 3, (8,))
    train_one_epoch(model, [(x, y)], opt, nn.CrossEntropyLoss(), lambda t: t, CPU)
    after = model.state_dict()
    changed = {k for k in after if not torch.equal(after[k], before[k])}
    assert changed == {"fc.weight", "fc.bias"}
    assert all(not p.requires_grad for p in backbone)


def test_stage_plan_is_fine_tune_as_data(small_dataset):
    cfg = resolve(
        TrainConfig(data=str(small_dataset), arch="tf_efficientnet_lite0", epochs=2, unfreeze_epochs=3, img_size=32)
    )
    stages = plan_stages(cfg)
    assert [(s.name, s.epochs, s.frozen) for s in stages] == [("frozen", 2, True), ("unfrozen", 3, False)]
    assert stages[1].lr_head == stages[1].lr_backbone == cfg.lr_backbone == cfg.lr_head / 10
    full = plan_stages(resolve(TrainConfig(data="x", arch="lenet5")))
    assert [(s.name, s.frozen, s.lr_backbone) for s in full] == [("full", False, 3e-3)]


@pytest.mark.slow  # two real trainings of EfficientNet-Lite0
def test_feature_cache_matches_the_naive_frozen_path(small_dataset, tmp_path):
    results = {}
    for cached in (True, False):
        cfg = resolve(
            TrainConfig(
                data=str(small_dataset),
                arch="tf_efficientnet_lite0",
                epochs=2,
                img_size=32,
                feature_cache=cached,
                precision="fp32",
                val_split=0.25,
            )
        )
        run = RunDir.create("x", path=tmp_path / str(cached))
        status = Training(cfg, run, progress=False).execute()
        assert status["state"] == "completed"
        results[cached] = run.metrics()
    for column in ("train_loss", "val_loss", "val_acc"):
        assert results[True][column].tolist() == pytest.approx(results[False][column].tolist(), abs=2e-3)


def test_feature_cache_computes_each_view_once_and_cycles_through_them():
    calls = []

    def compute(split, view):
        calls.append((split, view))
        return torch.full((2, 3), float(view if view is not None else -1)), torch.zeros(2, dtype=torch.long)

    cache = FeatureCache(compute, views=2)
    seen = [int(cache.train(epoch)[0][0, 0]) for epoch in range(5)]
    assert seen == [0, 1, 0, 1, 0]
    assert cache.val_features is None
    assert int(cache.val()[0][0, 0]) == -1 and int(cache.val()[0][0, 0]) == -1
    assert calls == [("train", 0), ("train", 1), ("val", None)]
    single = FeatureCache(compute)
    single.train(0)
    single.train(3)
    assert calls[-1] == ("train", 0) and len(calls) == 4


def test_a_loss_that_stays_far_above_its_start_is_a_divergence():
    watch = Divergence()
    for loss in [1.0] + [150.0] * (Divergence.PATIENCE - 1) + [1.0] + [150.0] * 3:
        watch.see(loss)  # one batch back down starts the count again
    with pytest.raises(NonFiniteLoss, match="the loss diverged: lower the learning rate"):
        for _ in range(Divergence.PATIENCE):
            watch.see(1e6)


@pytest.mark.slow
def test_a_run_whose_loss_diverges_ends_failed_not_completed(small_dataset):
    """LeNet-5 at a learning rate of 1000 with the default optimizer: the loss climbs to millions, then falls back to
    hundreds, never NaN; the run used to end "completed" at chance level. (The form and the config refuse a rate over
    1 now; a stored config edited by hand, which a queued run trains as is, still gets here.)"""
    cfg = resolve(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=6, batch_size=4))
    cfg.lr_head = cfg.lr_backbone = 1000.0
    run = RunDir.create("x", path=small_dataset.parent / "diverging")
    status = Training(cfg, run, progress=False).execute()
    assert status["state"] == "failed", status
    assert status["message"].startswith("the loss diverged: lower the learning rate"), status["message"]
    assert status["message_code"]["code"] == "loss.diverged"
    assert not (run.path / "report.json").exists()


@pytest.mark.slow
def test_a_sane_learning_rate_does_not_trip_the_divergence_rule_and_one_thread_is_singular(small_dataset):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run, status = train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=4, batch_size=4), progress=False)
    finally:
        torch.set_num_threads(threads)
    assert status["state"] == "completed", status
    line = next(m for m in _logged(run) if m.code == "log.model")  # the line the log and the page show
    assert "on CPU (1 thread), " in str(line) and "threads)" not in str(line), str(line)
    assert "CPU (1 hilo), " in render(line, {k.removeprefix("engine."): v for k, v in ENGINE_ES.items()})


def _logged(run: RunDir) -> list[Message]:
    """The coded log lines of a run (events.jsonl)."""
    events = [json.loads(line) for line in run.file(EVENTS).read_text().splitlines()]
    return [Message.from_dict(e["log"]) for e in events if isinstance(e, dict) and "log" in e]


@pytest.mark.slow  # a real training of EfficientNet-Lite0, frozen (the default path)
def test_time_left_counts_the_cached_epochs_as_what_they_take(small_dataset, tmp_path):
    """The first frozen epoch computes the backbone's features; the later ones train the head on them in
    milliseconds. The estimate counted each later epoch as long as the first: "about 19 s left" 2 s before the end."""
    cfg = resolve(
        TrainConfig(data=str(small_dataset), arch="tf_efficientnet_lite0", epochs=3, img_size=32, val_split=0.25)
    )
    run = RunDir.create("x", path=tmp_path / "run")
    assert Training(cfg, run, progress=False).execute()["state"] == "completed"
    batches = [e for e in map(json.loads, run.file(EVENTS).read_text().splitlines()) if "eta_s" in e]
    first_end = next(e for e in batches if e["epoch"] == 1 and e["batch"] == e["batches"])
    first_start = min(e["t"] - e["batch_s"] * e["batch"] for e in batches if e["epoch"] == 1)
    assert first_end["eta_s"] < 0.2 * (first_end["t"] - first_start) + 0.1, first_end  # not twice the first epoch
    later = [e for e in batches if e["epoch"] == 2]
    assert later and all(e["eta_s"] < 5 for e in later), later


def test_cached_feature_epochs_train_the_head_as_before_on_one_thread_restored_after():
    """The fast path (one gather per pass, slices, one thread, fused AdamW) gives the head the old path gave it:
    per-batch gathers of the same shuffled order with torch's default AdamW."""
    x, y = _toy(200)
    fast, old = nn.Linear(8, 2), nn.Linear(8, 2)
    old.load_state_dict(fast.state_dict())
    start = fast.weight.detach().clone()
    fast_opt = make_optimizer("adamw", [{"params": fast.parameters(), "lr": 0.05}], 0.01, 0.9)
    old_opt = torch.optim.AdamW(old.parameters(), lr=0.05, weight_decay=0.01)
    threads, seen = torch.get_num_threads(), []
    torch.set_num_threads(2)
    try:
        for epoch in range(3):
            batches = TensorBatches(x, y, 16, True, epoch)
            train_one_epoch(
                fast, batches, fast_opt, nn.CrossEntropyLoss(), lambda t: seen.append(torch.get_num_threads()) or t, CPU
            )
            assert torch.get_num_threads() == 2
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(epoch))
            gathered = [(x[order[i : i + 16]], y[order[i : i + 16]]) for i in range(0, len(x), 16)]
            train_one_epoch(old, gathered, old_opt, nn.CrossEntropyLoss(), lambda t: t, CPU)
        with pytest.raises(StopTraining):  # a pass left by an exception restores the threads too
            train_one_epoch(
                fast,
                TensorBatches(x, y, 16, True),
                fast_opt,
                nn.CrossEntropyLoss(),
                lambda t: t,
                CPU,
                should_stop=lambda: True,
            )
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    assert set(seen) == {1} and len(seen) == 3 * 13
    for a, b in zip(fast.parameters(), old.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert (fast.weight - start).abs().max() > 0.1  # the head did learn
