"""The optimizer race: trajectories from torch.optim (checked against hand computations) and the seven real runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from cnnapp.course import optimizer_race
from cnnapp.errors import ConfigError
from cnnapp.training.config import OPTIMIZERS


def rosenbrock_grad(x: float, y: float) -> np.ndarray:
    """∂/∂x and ∂/∂y of (1 − x)² + 100 (y − x²)², by hand."""
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def test_one_sgd_step_is_the_hand_computation():
    start, lr = (-1.2, 1.0), 1e-3
    t = optimizer_race.race("Rosenbrock", start, steps=1, lrs={"SGD": lr})["SGD"]
    g = rosenbrock_grad(*start)
    assert g.tolist() == pytest.approx([-215.6, -88.0])
    np.testing.assert_allclose(t.points[1], np.array(start) - lr * g, rtol=1e-12)
    assert t.points[1].tolist() == pytest.approx([-0.9844, 1.088])
    assert t.losses[0] == pytest.approx(2.2**2 + 100 * 0.44**2)


def test_sgd_momentum_steps_are_the_hand_computation():
    start, lr, mu = np.array([-1.2, 1.0]), 3e-4, 0.9
    t = optimizer_race.race("Rosenbrock", tuple(start), steps=3, lrs={"SGD + momentum": lr})["SGD + momentum"]
    p, buf = start.copy(), None
    for step in range(1, 4):
        g = rosenbrock_grad(*p)
        buf = g if buf is None else mu * buf + g
        p = p - lr * buf
        np.testing.assert_allclose(t.points[step], p, rtol=1e-10)


def test_adam_steps_are_the_hand_computation():
    start, lr, b1, b2, eps = np.array([-1.2, 1.0]), 0.05, 0.9, 0.999, 1e-8
    t = optimizer_race.race("Rosenbrock", tuple(start), steps=4, lrs={"Adam": lr})["Adam"]
    p, m, v = start.copy(), np.zeros(2), np.zeros(2)
    for step in range(1, 5):
        g = rosenbrock_grad(*p)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps)
        np.testing.assert_allclose(t.points[step], p, rtol=1e-10)
    # Adam's first step moves each coordinate by the learning rate, whatever the gradient's size
    np.testing.assert_allclose(np.abs(t.points[1] - start), [lr, lr], rtol=1e-6)


@pytest.mark.parametrize("name", list(optimizer_race.RUNNERS))
def test_every_runner_is_the_torch_optimizer_it_names(name):
    """Each trajectory equals the same torch.optim class stepped here by hand on the saddle."""
    classes = {"SGD + momentum": torch.optim.SGD}
    lr, start = 0.01, (-1.8, 0.3)
    t = optimizer_race.race("saddle", start, steps=5, lrs={name: lr})[name]
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    extra = {"momentum": 0.9} if name == "SGD + momentum" else {}
    opt = classes.get(name, getattr(torch.optim, name.split()[0]))([p], lr=lr, **extra)
    for step in range(1, 6):
        opt.zero_grad()
        (p[0] ** 2 - p[1] ** 2 + p[1] ** 4 / 4).backward()
        opt.step()
        np.testing.assert_allclose(t.points[step], p.detach().numpy(), rtol=1e-12)
    assert len(t.points) == len(t.losses) == 6 and not t.diverged


@pytest.mark.slow
def test_race_on_every_surface_gets_closer_and_draws():
    for name, s in optimizer_race.SURFACES.items():
        result = optimizer_race.race(name, steps=300)
        assert list(result) == list(optimizer_race.RUNNERS) == list(s.lrs)
        for t in result.values():
            assert t.points.shape == (301, 2) and t.losses[-1] < t.losses[0]
        best, first = min(t.losses[-1] for t in result.values()), result["SGD"].losses[0]
        assert best - s.min_value < 0.05 * (
            first - s.min_value
        )  # the default learning rates make a race worth watching
        assert isinstance(optimizer_race.race_figure(name, result), Figure)
    table = optimizer_race.final_table(result)
    assert table["optimizer"].tolist() == list(optimizer_race.RUNNERS) and not table["diverged"].any()


def test_a_too_large_learning_rate_diverges_and_bad_inputs_are_refused():
    t = optimizer_race.race("Rosenbrock", steps=50, lrs={"SGD": 0.1})["SGD"]
    assert t.diverged and len(t.points) < 51 and np.isfinite(t.points).all()
    assert isinstance(optimizer_race.race_figure("Rosenbrock", {"SGD": t}), Figure)
    with pytest.raises(ConfigError, match="unknown surface"):
        optimizer_race.race("Himmelblau")
    with pytest.raises(ConfigError, match="greater than 0"):
        optimizer_race.race("Beale", lrs={"Adam": 0})
    with pytest.raises(ConfigError, match="steps"):
        optimizer_race.race("Beale", steps=0)


def test_seven_configs_differ_only_in_optimizer():
    base = optimizer_race.base_config("data", "lenet5", epochs=2, lr=0.01)
    configs = optimizer_race.optimizer_configs(base)
    assert [c.optimizer for c in configs] == list(OPTIMIZERS) and len(configs) == 7
    plain = {k: v for k, v in configs[0].to_dict().items() if k != "optimizer"}
    assert all({k: v for k, v in c.to_dict().items() if k != "optimizer"} == plain for c in configs)
    assert plain["scheduler"] == "none" and plain["lr_head"] == 0.01 and plain["epochs"] == 2
    frozen = optimizer_race.base_config("data", "efficientnet_frozen")
    assert frozen.freeze and frozen.pretrained and frozen.arch == "tf_efficientnet_lite0"
    with pytest.raises(ConfigError, match="unknown model"):
        optimizer_race.base_config("data", "vgg")


def test_queueing_validates_all_seven_before_submitting_any():
    submitted = []
    bad = dataclasses.replace(optimizer_race.base_config("data"), epochs=0)
    with pytest.raises(ConfigError):
        optimizer_race.queue_optimizer_runs(bad, lambda configs, **request: submitted.extend(configs))
    assert submitted == []


def test_the_seven_runs_are_resolved_once_and_queued_as_they_are(workspace, monkeypatch):
    from cnnapp.jobs import worker
    from cnnapp.training import config

    resolved = []
    monkeypatch.setattr(optimizer_race, "resolve", lambda cfg: resolved.append(cfg) or config.resolve(cfg))
    monkeypatch.setattr(worker, "resolve", lambda cfg: pytest.fail("the job manager resolved a resolved config"))
    jobs = worker.JobManager(workspace, warm_trainer=False)  # default limits: the race is one request
    monkeypatch.setattr(jobs, "_pump", lambda: None)  # queued, never started
    try:
        runs = optimizer_race.queue_optimizer_runs(optimizer_race.base_config("data"), jobs.submit_all)
        assert len(resolved) == len(runs) == 7
        names = [r.status()["name"] for r in runs]
        assert names[0] == "LeNet-5 · data · from scratch · SGD" and len(set(names)) == 7, "told apart by optimizer"
        assert len({jobs._queue.requests[r.id].id for r in runs}) == 1, "one request"
        stored = [r.config() for r in runs]
        assert [c["optimizer"] for c in stored] == list(OPTIMIZERS) and all(c["img_size"] == 28 for c in stored)
    finally:
        jobs.shutdown()


@pytest.mark.slow
def test_seven_real_runs_train_and_their_curves_overlay(small_dataset, workspace):
    from cnnapp.training.train import train

    base = dataclasses.replace(optimizer_race.base_config(small_dataset, "lenet5", epochs=2), batch_size=16)
    runs = optimizer_race.queue_optimizer_runs(
        base, lambda configs, **request: [train(cfg, progress=False, resolved=True)[0] for cfg in configs]
    )
    assert len(runs) == 7 and all(r.status()["state"] == "completed" for r in runs)
    curves = optimizer_race.optimizer_curves([r.id for r in runs])
    assert sorted(curves["optimizer"].unique()) == sorted(OPTIMIZERS) and len(curves) == 14
    assert curves["val_acc"].between(0, 1).all() and (curves["val_loss"] > 0).all()
    assert isinstance(optimizer_race.curves_figure(curves), Figure)
    assert optimizer_race.optimizer_curves([]).empty
