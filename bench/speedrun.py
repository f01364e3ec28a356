"""The full-size speedrun: cnnapp's `speedrun` recipe against fastai 2.8.12 to 0.93 test accuracy on Fashion-MNIST.

Both train on the full Fashion-MNIST files (60,000 train / 10,000 test) with the threads this machine gives a
training, each in a fresh process timed from its launch. cnnapp runs `python -m cnnapp train --recipe speedrun`
(SpeedNet, one-cycle AdamW, label smoothing, flips and crops; it holds 20% of train out for validation, as the app
does) and its test accuracy is the run's. fastai runs its standard recipe: `vision_learner` with a ResNet-18 from
scratch, `fit_one_cycle` on the 60,000 (no hold-out), evaluated on the test set after every epoch and stopped at
the first epoch at 0.93 or at the time cap (twice cnnapp's limit: a fastai run cut there still shows the ratio's
bound). Anchors: Fashion-MNIST's benchmark table (simple CNNs 0.90–0.92, ResNet-18 about 0.95); airbench (a tuned
small network and schedule beat generic recipes by an order of magnitude).

Quick mode trains both on 300 images per class of each split (3,000 train, 3,000 test): cnnapp's recipe for 4
epochs, fastai's for up to 3, to 0.75 test accuracy, the size's target (measured: cnnapp 0.80 in 14 s, fastai 0.76
after its third epoch, 34 s from launch); the time goals are a ratio of 0.75 (see QUICK) and a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.fixtures import WORKDIR, fashion_full, launch_training
from bench.harness import Figure
from bench.peer import _env, fastai_python
from cnnapp import hardware

FASTAI = {"arch": "resnet18", "lr": 3e-3, "batch_size": 256}


@dataclass(frozen=True)
class Size:
    """What one mode trains and its goals: images per class of each split (None: all), cnnapp's epochs (None: the
    recipe's), fastai's epochs and time cap, the target test accuracy, cnnapp's time limit and the time ratio goal."""

    per_class: int | None
    epochs: int | None
    fastai_epochs: int
    fastai_cap_s: float
    target: float
    limit_s: float
    ratio: float


# the full run: fastai capped at twice cnnapp's limit (a run cut there still shows the ratio's bound)
FULL = Size(None, None, fastai_epochs=10, fastai_cap_s=1200.0, target=0.93, limit_s=600.0, ratio=0.5)
# --quick: its ratio goal is 0.75: at this size start-up (cnnapp's ~5 s, fastai's ~15 s) is most of either time, and
# fastai's third epoch ends anywhere from 0.72 to 0.78 (measured ratios 0.43, 0.44, 0.50)
QUICK = Size(300, 4, fastai_epochs=3, fastai_cap_s=300.0, target=0.75, limit_s=60.0, ratio=0.75)


def _cnnapp(data: Path, threads: int, size: Size) -> dict:
    """`python -m cnnapp train --recipe speedrun` from launch to its end (test set included)."""
    options = {"data": str(data), "recipe": "speedrun", **({"epochs": size.epochs} if size.epochs else {})}
    launched = time.time()
    run, _offset = launch_training(options, WORKDIR / "speedrun" / f"cnnapp-{time.time_ns()}", _env(threads))
    metrics = run.metrics()
    return {
        "seconds": time.time() - launched,
        "test_acc": float(run.report()["test_accuracy"]),
        "epochs": float(len(metrics)),
        "epoch_s": float(metrics["seconds"].median()),
        "val_acc": [round(float(a), 4) for a in metrics["val_acc"]],
    }


def _fastai(data: Path, threads: int, size: Size) -> dict:
    """fastai's standard recipe, in its own process, until the first epoch at the target or the time cap."""
    spec = {**FASTAI, "data": str(data), "threads": threads, "epochs": size.fastai_epochs}
    spec |= {"target": size.target, "cap_s": size.fastai_cap_s}
    out = WORKDIR / "speedrun" / f"fastai-{time.time_ns()}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    launched = time.time()
    done = subprocess.run(
        [fastai_python(), "-m", "bench.speedrun", json.dumps(spec), str(out)],
        capture_output=True,
        text=True,
        env=_env(threads),
    )
    if done.returncode:
        raise RuntimeError(f"fastai's training failed: {done.stderr.strip().splitlines()[-1:]}")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    reached = next((r["t"] - launched for r in rows if r["acc"] >= spec["target"]), None)
    return {
        "seconds": reached if reached is not None else time.time() - launched,
        "reached": reached is not None,
        "best_acc": max(r["acc"] for r in rows),
        "epochs": float(len(rows)),
    }


def speedrun(quick: bool) -> list[Figure]:
    """cnnapp's recipe: test accuracy, seconds from launch to the end; and its time over fastai's, to 0.93 (in quick
    mode, to 0.75 on 300 images per class)."""
    size = QUICK if quick else FULL
    data = fashion_full(size.per_class)
    threads = hardware.configure_threads()
    ours = _cnnapp(data, threads, size)
    theirs = _fastai(data, threads, size)
    target = size.target
    bound = "" if theirs["reached"] else f" (not at {target} by its end: its time to {target} is longer)"
    return [
        Figure(
            "speedrun_test_acc",
            ours["test_acc"],
            target,
            ">=",
            detail={"val acc per epoch": str(ours["val_acc"]), "published": "0.90–0.92 simple CNNs, ~0.95 ResNet-18"},
        ),
        Figure(
            "speedrun_total_s",
            ours["seconds"],
            size.limit_s,
            "<=",
            " s",
            detail={"s per epoch": ours["epoch_s"], "epochs": ours["epochs"], "threads": float(threads)},
        ),
        Figure(
            "speedrun_vs_fastai",
            ours["seconds"] / theirs["seconds"],
            size.ratio,
            "<=",
            detail={
                "cnnapp s": ours["seconds"],
                "fastai s": theirs["seconds"],
                "fastai best test acc": theirs["best_acc"],
                "fastai": f"{FASTAI['arch']} from scratch, fit_one_cycle, {theirs['epochs']:.0f} epoch(s){bound}",
            },
        ),
    ]


def _fastai_side(spec: dict, out: Path) -> None:
    """In fastai's process: its standard vision recipe, one JSON line (time, test accuracy) per epoch."""
    import torch

    torch.set_num_threads(spec["threads"])
    from fastai.vision.all import (
        Callback,
        CancelFitException,
        Flip,
        ImageDataLoaders,
        Normalize,
        Recorder,
        accuracy,
        imagenet_stats,
        resnet18,
        vision_learner,
    )

    started = time.time()

    class StopAtTarget(Callback):
        """Record each epoch's test accuracy; stop at the target or past the time cap."""

        order = Recorder.order + 1

        def after_epoch(self) -> None:
            acc = float(self.recorder.values[-1][-1])
            with out.open("a") as f:
                f.write(json.dumps({"t": time.time(), "acc": acc}) + "\n")
            if acc >= spec["target"] or time.time() - started > spec["cap_s"]:
                raise CancelFitException

    dls = ImageDataLoaders.from_folder(
        spec["data"],
        train="train",
        valid="test",
        batch_tfms=[Flip(), Normalize.from_stats(*imagenet_stats)],
        bs=spec["batch_size"],
        num_workers=0,
        device=torch.device("cpu"),
    )
    learn = vision_learner(dls, resnet18, pretrained=False, metrics=accuracy, cbs=[StopAtTarget()])
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(spec["epochs"], spec["lr"])


if __name__ == "__main__":
    _fastai_side(json.loads(sys.argv[1]), Path(sys.argv[2]))
