"""cnnapp against fastai 2.8.12 on the same work: wall time to the same validation accuracy.

Both train from the same image files (Fashion-MNIST train/ and val/ folders), the same model with the
same initial weights (cnnapp's model after its seeding, ImageNet backbone from the offline
EfficientNet-Lite0 file, saved as a state dict for fastai), the same size, epochs, batch size, learning
rate, weight decay, one-cycle schedule and seed, and the same number of threads, each in a fresh
process timed from its launch. The transfer recipe is frozen then unfrozen (fastai's `fine_tune`,
cnnapp's `--freeze --unfreeze-epochs`); training from scratch is LeNet-5. The target accuracy is the
lowest of the runs' best validation accuracies, so every run reaches it.

fastai runs in `$CNNAPP_BENCH_FASTAI_PYTHON` (default: this interpreter; `pip install '.[bench]'`).
"""

from __future__ import annotations

import functools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from bench.fixtures import WORKDIR, fashion_split, launch_training, num_classes
from bench.harness import Figure, Skip
from cnnapp import hardware
from cnnapp.models.factory import create_model
from cnnapp.models.registry import get_spec
from cnnapp.training.train import seed_everything

ROOT = Path(__file__).resolve().parents[1]
FASTAI_VERSION = "2.8.12"
LR, BATCH, SEED, WEIGHT_DECAY = 3e-3, 32, 0, 1e-4
Epochs = list[tuple[float, float]]  # (seconds from launch, validation accuracy) of each epoch of one run


@functools.cache
def fastai_python() -> str:
    """The interpreter that has fastai 2.8.12. Raises Skip, with what to do, when there is none."""
    python = os.environ.get("CNNAPP_BENCH_FASTAI_PYTHON", sys.executable)
    try:
        probe = subprocess.run(
            [python, "-c", "import fastai.vision.all, timm; print(fastai.__version__)"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        version = probe.stdout.strip() if probe.returncode == 0 else ""
    except OSError:
        version = ""
    if version != FASTAI_VERSION:
        found = f"fastai {version}" if version else "no importable fastai"
        raise Skip(
            f"fastai {FASTAI_VERSION} is needed for the comparison, {python} has {found}: "
            "`pip install '.[bench]'` or set CNNAPP_BENCH_FASTAI_PYTHON to a Python that has it"
        )
    return python


def _env(threads: int) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "CNNAPP_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}


def _cnnapp_epochs(recipe: dict, threads: int) -> Epochs:
    """(seconds from launch, val accuracy) of each epoch of `python -m cnnapp train` on the recipe."""
    run_dir = WORKDIR / "peer" / f"cnnapp-{time.time_ns()}"
    frozen = bool(recipe["freeze_epochs"])
    options = {
        "data": recipe["data"],
        "arch": recipe["arch"],
        "img_size": recipe["img_size"],
        "pretrained": frozen,
        "freeze": frozen,
        "epochs": recipe["freeze_epochs"] or recipe["epochs"],
        "unfreeze_epochs": recipe["epochs"] if frozen else 0,
        "lr_head": LR,
        "weight_decay": WEIGHT_DECAY,
        "scheduler": "onecycle",
        "batch_size": BATCH,
        "seed": SEED,
    }
    run, offset = launch_training(options, run_dir, _env(threads))
    return [(offset + r.elapsed, r.val_acc) for r in run.metrics().itertuples()]


def _fastai_epochs(python: str, recipe: dict, threads: int) -> Epochs:
    """(seconds from launch, val accuracy) of each epoch of the same recipe in fastai."""
    spec = get_spec(recipe["arch"])
    name = f"fastai-{time.time_ns()}"
    spec_file, out = WORKDIR / "peer" / f"{name}.json", WORKDIR / "peer" / f"{name}.jsonl"
    spec_file.write_text(
        json.dumps(
            {
                **recipe,
                "mean": list(spec.mean),
                "std": list(spec.std),
                "lr": LR,
                "weight_decay": WEIGHT_DECAY,
                "batch_size": BATCH,
                "seed": SEED,
                "threads": threads,
            }
        )
    )
    launched = time.time()
    done = subprocess.run(
        [python, "-m", "bench.fastai_side", str(spec_file), str(out)], capture_output=True, text=True, env=_env(threads)
    )
    if done.returncode:
        raise RuntimeError(f"fastai's training failed: {done.stderr.strip().splitlines()[-1:]}")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    return [(r["t"] - launched, r["val_acc"]) for r in rows]


def _initial_weights(arch: str, pretrained: bool) -> str:
    """cnnapp's initial model for the recipe (seeded as its trainer seeds it), saved for fastai."""
    seed_everything(SEED)
    model = create_model(arch, num_classes(), pretrained=pretrained)
    path = WORKDIR / "peer" / f"{arch}-{'pretrained' if pretrained else 'scratch'}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return str(path)


def to_same_accuracy(ours: list[Epochs], theirs: list[Epochs]) -> tuple[float, float, float]:
    """(target, our median seconds, their median seconds): the target is the lowest of every run's best
    accuracy, so all reach it; each run's time is that of its first epoch at the target."""
    target = min(max(acc for _, acc in run) for run in ours + theirs)

    def seconds(runs: list[Epochs]) -> float:
        return statistics.median(next(t for t, acc in run if acc >= target) for run in runs)

    return target, seconds(ours), seconds(theirs)


def _compare(key: str, goal: float, recipe: dict, rounds: int) -> Figure:
    python = fastai_python()
    threads = hardware.configure_threads()
    recipe = {**recipe, "weights": _initial_weights(recipe["arch"], bool(recipe["freeze_epochs"]))}
    ours, theirs = [], []
    for _ in range(rounds):  # alternated, so that machine noise hits both alike
        ours.append(_cnnapp_epochs(recipe, threads))
        theirs.append(_fastai_epochs(python, recipe, threads))
    target, ours_s, theirs_s = to_same_accuracy(ours, theirs)
    return Figure(
        key,
        ours_s / theirs_s,
        goal,
        "<=",
        detail={
            "cnnapp s": ours_s,
            "fastai s": theirs_s,
            "to val acc": target,
            "best val acc cnnapp": max(acc for run in ours for _, acc in run),
            "best val acc fastai": max(acc for run in theirs for _, acc in run),
            "work": f"{recipe['arch']} {recipe['img_size']} px, {recipe['train_images']} train images, "
            + (f"{recipe['freeze_epochs']} frozen + " if recipe["freeze_epochs"] else "")
            + f"{recipe['epochs']} epochs, {threads} threads, {rounds} round(s)",
        },
    )


def _recipe(arch: str, img_size: int, per_class: tuple[int, int], freeze_epochs: int, epochs: int) -> dict:
    return {
        "data": str(fashion_split(*per_class)),
        "arch": arch,
        "img_size": img_size,
        "freeze_epochs": freeze_epochs,
        "epochs": epochs,
        "train_images": per_class[0] * num_classes(),
    }


def transfer(quick: bool) -> list[Figure]:
    """Lite0 from ImageNet weights, frozen then unfrozen (fastai's `fine_tune`), 64 px: time ratio to equal accuracy."""
    recipe = _recipe("tf_efficientnet_lite0", 64, (50, 20) if quick else (200, 100), 1, 1 if quick else 3)
    return [_compare("vs_fastai_transfer", 0.5, recipe, 1 if quick else 2)]


def scratch(quick: bool) -> list[Figure]:
    """LeNet-5 from scratch at 28 px: time ratio to the same accuracy."""
    recipe = _recipe("lenet5", 28, (100, 50) if quick else (500, 100), 0, 2 if quick else 10)
    return [_compare("vs_fastai_scratch", 1.0, recipe, 3 if quick else 2)]  # quick: a median of 3, as CI judges it
