"""Training throughput: the engine against a plain loop, the data pipeline, and the CPU fast path."""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F

from bench.fixtures import fashion_split
from bench.harness import Figure, interleaved_rates, rate
from cnnapp import hardware
from cnnapp.data.ingest import Dataset, ingest
from cnnapp.data.loaders import ImageCache
from cnnapp.models.factory import set_frozen, set_train_mode
from cnnapp.runs import RunDir
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.engine import make_optimizer, train_one_epoch
from cnnapp.training.learner import Learner
from cnnapp.training.progress import Progress
from cnnapp.training.train import seed_everything

ARCH, SIZE, BATCH = "tf_efficientnet_lite0", 96, 32


def _learner(quick: bool, img_size: int = SIZE, per_class: int | None = None, **overrides) -> tuple[Learner, Dataset]:
    """A fully trainable learner as a training builds it (progress events into a fresh run), and its dataset."""
    data = fashion_split(per_class or (16 if quick else 32), 4)
    cfg = resolve(
        TrainConfig(data=str(data), arch=ARCH, img_size=img_size, batch_size=BATCH, freeze=False, **overrides)
    )
    run = RunDir.create(ARCH)
    learner = Learner(cfg, progress=Progress(run, 1, show=False), stop=run.stop_requested)
    dataset = ingest(cfg.data, val_split=cfg.val_split, seed=cfg.seed)
    seed_everything(cfg.seed)
    learner.build(dataset)
    set_frozen(learner.model, learner.spec, False)
    learner.model.train()
    return learner, dataset


def _plain_batches(learner: Learner) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(learner.prep(x), y) for x, y in learner.loader("train", shuffle=True)]


def _plain_epoch(model: torch.nn.Module, batches, optimizer, bf16: bool) -> int:
    for x, y in batches:
        with hardware.autocast(torch.device("cpu"), bf16):
            out = model(x)
        loss = F.cross_entropy(out.float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return sum(len(y) for _, y in batches)


def engine_and_data(quick: bool) -> list[Figure]:
    """engine_vs_plain_loop and data_vs_train_throughput on the default model, fully trainable."""
    t, dataset = _learner(quick, per_class=32, augment="medium")
    optimizer = make_optimizer("adamw", [{"params": t.model.parameters(), "lr": 1e-4}], 0.0, 0.9)
    plain = _plain_batches(t)

    def engine() -> int:
        loader = t.loader("train", shuffle=True, augment=False)
        with t.progress.epoch("full", 1, len(loader)) as on_batch:  # the trainer's bar and progress events
            return train_one_epoch(
                t.model,
                loader,
                optimizer,
                t.criterion,
                t.prep,
                t.device,
                amp=t.amp,
                on_batch=on_batch,
                should_stop=t.should_stop,
            ).images

    rates = interleaved_rates({"engine": engine, "plain": lambda: _plain_epoch(t.model, plain, optimizer, t.bf16)}, 5)

    def data_epoch() -> int:
        return sum(len(y) for _, y in t.loader("train", shuffle=True, augment=True))

    data_rate = interleaved_rates({"data": data_epoch}, 3)["data"]
    paths = dataset.paths("train")
    decode_rate = rate(lambda: len(ImageCache.build(paths, SIZE).array))
    return [
        Figure(
            "engine_vs_plain_loop",
            rates["engine"] / rates["plain"],
            0.97,
            ">=",
            detail={"engine img/s": rates["engine"], "plain img/s": rates["plain"]},
        ),
        Figure(
            "data_vs_train_throughput",
            data_rate / rates["engine"],
            3,
            ">=",
            detail={
                "cached+augment img/s": data_rate,
                "first-pass decode img/s": decode_rate,
                "train img/s": rates["engine"],
            },
        ),
    ]


def _step_speedup(quick: bool, img_size: int, frozen: bool) -> dict[str, float | str]:
    """img/s of one kind of training step with the default fast path and with fp32 NCHW, interleaved."""
    fast, dataset = _learner(quick, img_size)
    slow = Learner(dataclasses.replace(fast.cfg, precision="fp32", channels_last=False))
    slow.build(dataset)
    pair = {"fast": fast, "slow": slow}
    batches = {name: _plain_batches(t) for name, t in pair.items()}
    opts = {}
    for name, t in pair.items():
        set_frozen(t.model, t.spec, frozen)
        set_train_mode(t.model, t.spec, frozen)
        opts[name] = make_optimizer(
            "adamw", [{"params": [p for p in t.model.parameters() if p.requires_grad], "lr": 1e-4}], 0.0, 0.9
        )
    bf16 = {name: t.bf16_eval if frozen else t.bf16 for name, t in pair.items()}
    rates = interleaved_rates(
        {
            name: (lambda name=name, t=t: _plain_epoch(t.model, batches[name], opts[name], bf16[name]))
            for name, t in pair.items()
        },
        3 if quick else 5,
    )
    return {
        "fast img/s": rates["fast"],
        "fp32 NCHW img/s": rates["slow"],
        "fast path": f"channels_last, {'bf16' if bf16['fast'] else 'fp32'}",
    }


def fast_path(quick: bool) -> list[Figure]:
    """Training steps with the default fast path (channels_last; bf16 autocast where it is faster) against fp32 NCHW.

    The headline is the default configuration's step (frozen backbone: forward through it, update the
    head) at the architecture's input size, 224 px; the same step at the app's 96 px, and full
    fine-tuning (forward and backward through everything) at 96 px, are measured too.
    """
    figures = []
    for key, size, frozen, goal in (
        ("fast_path_speedup", 224, True, 1.8),
        ("fast_path_frozen_96px", SIZE, True, 1.0),
        ("fast_path_finetune_96px", SIZE, False, 1.0),
    ):
        d = _step_speedup(quick, size, frozen)
        d["step"] = f"{'frozen backbone' if frozen else 'full fine-tuning'}, {size} px"
        figures.append(Figure(key, d["fast img/s"] / d["fp32 NCHW img/s"], goal, ">=", detail=d))
    return figures
