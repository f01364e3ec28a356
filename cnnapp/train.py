"""One training run, start to finish: config → ingest → model → staged fit → report, all in a run directory."""

from __future__ import annotations

import contextlib
import math
import os
import random
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from cnnapp import distributed, hardware, workspace
from cnnapp.config import TrainConfig, resolve
from cnnapp.engine import (
    NonFiniteLoss,
    Predictions,
    StopTraining,
    TensorBatches,
    evaluate_batches,
    extract_features,
    make_optimizer,
    make_scheduler,
    train_one_epoch,
)
from cnnapp.errors import DISK_FULL_MESSAGE, CnnappError, RunError, is_disk_full
from cnnapp.ingest import Dataset, IngestError, ingest
from cnnapp.loaders import ImageCache, ImageDataset, make_loader
from cnnapp.metrics import classification_report
from cnnapp.models import FeatureTap, count_trainable, create_model, head_of, set_frozen, set_train_mode, split_params
from cnnapp.registry import get_spec
from cnnapp.runs import ReadOnlyRun, RunDir, atomic_write, write_json
from cnnapp.transforms import BatchPrep, build_augment, parse_augment

MAX_FEATURE_VIEWS = 4
EVAL_BATCH_MAX, EVAL_BATCH_PIXELS = 128, 64
OOM_SIGNS = ("out of memory", "can't allocate memory", "cannot allocate memory")
EVENT_INTERVAL_S = 0.5


@dataclass
class Stage:
    """A block of epochs with one freeze setting and one pair of learning rates."""

    name: str
    epochs: int
    frozen: bool
    lr_head: float
    lr_backbone: float


def plan_stages(cfg: TrainConfig) -> list[Stage]:
    """fastai's `fine_tune` as data: frozen fit, then (optionally) unfreeze and fit at the backbone rate."""
    if not cfg.freeze:
        return [Stage("full", cfg.epochs, False, cfg.lr_head, cfg.lr_backbone)]
    stages = [Stage("frozen", cfg.epochs, True, cfg.lr_head, cfg.lr_backbone)]
    if cfg.unfreeze_epochs:
        stages.append(Stage("unfrozen", cfg.unfreeze_epochs, False, cfg.lr_backbone, cfg.lr_backbone))
    return stages


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU runs are then repeatable)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def cpu_state(model: nn.Module | dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict of contiguous CPU tensors (as safetensors and checkpoints need them)."""
    state = model.state_dict() if isinstance(model, nn.Module) else model
    return {k: v.detach().contiguous().cpu() for k, v in state.items()}


def save_weights(model: nn.Module | dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    """Write a state dict as safetensors, atomically."""
    with atomic_write(path) as tmp:
        save_file(cpu_state(model), str(tmp), metadata=metadata)


class Training:
    """Trains one resolved config into `run`. Use `execute()`; it never raises for run failures."""

    def __init__(self, cfg: TrainConfig, run: RunDir, progress: bool = True, ctx: distributed.Context | None = None):
        self.cfg = cfg
        self.ctx = ctx or distributed.Context()
        self.main = self.ctx.main
        self.run = run if self.main else ReadOnlyRun(run.path)
        self.progress = progress and self.main
        self.spec = get_spec(cfg.arch)
        self.stop_flag = False
        self.started = time.time()
        self.stages = plan_stages(cfg)
        self.total_epochs = sum(s.epochs for s in self.stages)
        self.best_acc = -1.0
        self.best_epoch = 0
        self.best_state: dict[str, torch.Tensor] | None = None
        self.best_frozen = False
        self.epoch_seconds: list[float] = []
        self._last_event = 0.0
        self._val_feats: tuple[torch.Tensor, torch.Tensor] | None = None
        self._train_views: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    # ----- set-up -------------------------------------------------------------------------
    def should_stop(self) -> bool:
        """A stop was requested (file or SIGTERM); under torchrun, on any rank (all ranks stop together)."""
        return distributed.any_rank(self.stop_flag or self.run.stop_requested(), self.ctx, self.device)

    def _on_sigterm(self, *_: object) -> None:
        self.stop_flag = True

    def log(self, text: str) -> None:
        if self.main:
            print(text, file=sys.stderr, flush=True)

    def prepare(self, dataset: Dataset | None = None) -> None:
        """Ingest (or reuse) the data, build the model, caches and loaders."""
        cfg = self.cfg
        self.device = hardware.pick_device(cfg.device)
        self.bf16 = hardware.use_bf16(cfg.precision, self.device)
        self.bf16_eval = hardware.use_bf16(cfg.precision, self.device, training=False)
        channels_last = cfg.channels_last
        self.amp = lambda: hardware.autocast(self.device, self.bf16)
        self.amp_eval = lambda: hardware.autocast(self.device, self.bf16_eval)
        if dataset is None:
            self.run.update_status(message="reading the dataset")
            dataset = distributed.broadcast(self._ingest() if self.main else None, self.ctx)
            if isinstance(dataset, CnnappError):
                raise dataset
        self.dataset = dataset
        if self.main:
            dataset.save(self.run.file("ingest.json"))
            write_json(self.run.file("labels.json"), dataset.classes)
        for warning in dataset.warnings:
            self.log(f"warning: {warning}")

        seed_everything(cfg.seed)
        self.run.update_status(message=f"building {cfg.arch}")
        model = create_model(cfg.arch, len(dataset.classes), pretrained=bool(cfg.pretrained), weights=cfg.weights)
        model = model.to(self.device)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.head = head_of(model, self.spec)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
        self.prep = BatchPrep(self.spec.mean, self.spec.std, self.device, channels_last)

        self.run.update_status(message="decoding images")
        size = cfg.img_size
        cache_dir = workspace.cache_dir()
        self.data = {}
        for split in dataset.splits:
            paths = dataset.paths(split)
            cache = ImageCache.build(paths, size, cache_dir) if paths else None
            self.data[split] = ImageDataset(paths, dataset.labels(split), size, cache=cache)
        self.log(
            f"{cfg.arch}: {len(dataset.classes)} classes, "
            + ", ".join(f"{len(d)} {s}" for s, d in self.data.items())
            + f" images at {size} px on {hardware.describe(self.device, self.bf16, self.bf16_eval, channels_last)}"
        )

    def _ingest(self) -> Dataset | CnnappError:
        """Rank 0 reads the dataset; a failure is handed to every rank rather than leaving them waiting."""
        try:
            return ingest(self.cfg.data, val_split=self.cfg.val_split, seed=self.cfg.seed)
        except CnnappError as exc:
            if not self.ctx.enabled:
                raise
            return exc

    def _trainable(self) -> nn.Module:
        """The model to step: wrapped in DistributedDataParallel under torchrun (per stage, as freezing changes)."""
        if not self.ctx.enabled:
            return self.model
        device_ids = [self.ctx.local_rank] if self.device.type == "cuda" else None
        return DistributedDataParallel(self.model, device_ids=device_ids)

    # ----- batches ------------------------------------------------------------------------
    def loader(self, split: str, shuffle: bool, seed: int = 0, augment: bool = False, whole: bool = False):
        """Batches of a split; passes without gradients (`shuffle=False`) use larger batches at small sizes.

        Under torchrun each rank gets its shard, unless `whole` asks for the entire split.
        """
        ds = self.data[split]
        ds.augment = build_augment(self.cfg.augment, self.cfg.img_size, seed=seed) if augment else None
        batch = self.cfg.batch_size
        if not shuffle:
            batch = max(batch, min(EVAL_BATCH_MAX, int(EVAL_BATCH_MAX * (EVAL_BATCH_PIXELS / self.cfg.img_size) ** 2)))
        sampler = None
        if self.ctx.enabled and shuffle:
            sampler = distributed.shard_sampler(len(ds), seed, self.ctx)
        elif self.ctx.enabled and not whole:
            sampler = distributed.eval_shard(len(ds), self.ctx)
        return make_loader(ds, batch, shuffle=shuffle, seed=seed, workers=self.cfg.workers, sampler=sampler)

    def _features(self, split: str, seed: int, augment: bool, label: str) -> tuple[torch.Tensor, torch.Tensor]:
        self.model.eval()
        loader = self.loader(split, shuffle=False, seed=seed, augment=augment)
        with FeatureTap(self.model, self.spec) as tap, self._bar(len(loader), label) as bar:
            return extract_features(
                self.model,
                tap,
                loader,
                self.prep,
                amp=self.amp_eval,
                on_batch=lambda *_: bar.update(),
                should_stop=self.should_stop,
            )

    def train_features(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Cached backbone features of the train split: one view without augmentation, a few with."""
        has_aug = bool(parse_augment(self.cfg.augment))
        frozen_epochs = sum(s.epochs for s in self.stages if s.frozen)
        view = epoch % min(frozen_epochs, MAX_FEATURE_VIEWS) if has_aug else 0
        if view not in self._train_views:
            self._train_views[view] = self._features(
                "train", self.cfg.seed * 1000 + view, has_aug, f"features (view {view + 1})"
            )
        return self._train_views[view]

    def val_features(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._val_feats is None:
            self._val_feats = self._features("val", 0, False, "features (val)")
        return self._val_feats

    def predict_split(self, split: str, frozen_features: bool, whole: bool = False) -> Predictions:
        """Predictions of the current weights on a split (through cached features when they are valid)."""
        if frozen_features and split == "val":
            x, y = self.val_features()
            batches = TensorBatches(x, y, 1024, False)
            return evaluate_batches(self.head, batches, self.criterion, lambda t: t.to(self.device), self.device)
        loader = self.loader(split, shuffle=False, whole=whole)
        return evaluate_batches(self.model, loader, self.criterion, self.prep, self.device, amp=self.amp_eval)

    def reduce(self, loss: float, acc: float, n: int) -> tuple[float, float]:
        """Mean loss and accuracy over all ranks from this rank's share of `n` images."""
        total_loss, correct, count = distributed.all_sum([loss * n, acc * n, n], self.ctx, self.device)
        return total_loss / max(count, 1), correct / max(count, 1)

    # ----- progress -----------------------------------------------------------------------
    def _bar(self, total: int, desc: str) -> tqdm:
        return tqdm(total=total, desc=desc, file=sys.stderr, disable=not self.progress, mininterval=1.0, leave=False)

    def _event(self, stage: Stage, epoch: int, batch: int, batches: int, loss: float, epoch_start: float) -> None:
        now = time.time()
        if batch != batches and now - self._last_event < EVENT_INTERVAL_S:
            return
        self._last_event = now
        elapsed = now - epoch_start
        epoch_eta = elapsed / max(batch, 1) * (batches - batch)
        per_epoch = np.mean(self.epoch_seconds) if self.epoch_seconds else elapsed / max(batch, 1) * batches
        eta = epoch_eta + per_epoch * (self.total_epochs - epoch)
        self.run.log_event(
            {
                "t": now,
                "stage": stage.name,
                "epoch": epoch,
                "epochs": self.total_epochs,
                "batch": batch,
                "batches": batches,
                "loss": None if math.isnan(loss) else round(loss, 5),
                "eta_s": round(float(eta), 1),
            }
        )

    # ----- checkpoints --------------------------------------------------------------------
    def save_checkpoint(self, stage_index: int, epoch_in_stage: int, optimizer, scheduler) -> None:
        """Everything needed to resume: weights, optimizer and scheduler state, position, best so far."""
        if not self.main:
            return
        state = {
            "model": cpu_state(self.model),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "stage": stage_index,
            "epoch": epoch_in_stage,
            "best_acc": self.best_acc,
            "best_epoch": self.best_epoch,
            "epoch_seconds": self.epoch_seconds,
        }
        with atomic_write(self.run.file("checkpoint.pt")) as tmp:
            torch.save(state, tmp)

    def load_checkpoint(self) -> dict:
        path = self.run.file("checkpoint.pt")
        if not path.is_file():
            raise RunError(f"{self.run.path} has no checkpoint to resume from (it stopped before finishing an epoch)")
        state = torch.load(path, map_location="cpu", weights_only=True)
        self.model.load_state_dict(state["model"])
        self.best_acc, self.best_epoch = state["best_acc"], state["best_epoch"]
        self.epoch_seconds = list(state["epoch_seconds"])
        best = self.run.file("model.safetensors")
        if best.is_file():
            self.best_state = load_file(str(best))
        return state

    def _metadata(self) -> dict[str, str]:
        return {
            "arch": self.cfg.arch,
            "num_classes": str(len(self.dataset.classes)),
            "img_size": str(self.cfg.img_size),
        }

    # ----- fitting ------------------------------------------------------------------------
    def fit_stage(self, index: int, stage: Stage, start_epoch: int = 0, resume: dict | None = None) -> None:
        """Train one stage's epochs, evaluating, recording and checkpointing after each."""
        cfg = self.cfg
        set_frozen(self.model, self.spec, stage.frozen)
        backbone, head = split_params(self.model, self.spec)
        groups = [{"params": head, "lr": stage.lr_head, "name": "head"}]
        if not stage.frozen:
            groups.insert(0, {"params": backbone, "lr": stage.lr_backbone, "name": "backbone"})
        optimizer = make_optimizer(cfg.optimizer, groups, cfg.weight_decay, cfg.momentum)
        use_features = stage.frozen and cfg.feature_cache and not self.ctx.enabled
        n_train = math.ceil(len(self.data["train"]) / self.ctx.world)
        batches = math.ceil(n_train / cfg.batch_size)
        scheduler = make_scheduler(cfg.scheduler, optimizer, stage.epochs * batches)
        if resume is not None:
            optimizer.load_state_dict(resume["optimizer"])
            if scheduler is not None and resume["scheduler"] is not None:
                scheduler.load_state_dict(resume["scheduler"])
        trainable = self.model if use_features else self._trainable()
        first_global = sum(s.epochs for s in self.stages[:index])
        self.log(f"stage '{stage.name}': {count_trainable(self.model):,} trainable parameters, {stage.epochs} epoch(s)")

        for epoch in range(start_epoch, stage.epochs):
            global_epoch = first_global + epoch + 1
            seed = cfg.seed * 1000 + global_epoch
            self.run.update_status(
                epoch=global_epoch - 1,
                stage=stage.name,
                message=f"epoch {global_epoch}/{self.total_epochs} ({stage.name})",
            )
            if use_features:
                fx, fy = self.train_features(global_epoch - 1)
                self.val_features()
                model, prep, train_batches = (
                    self.head,
                    (lambda t: t.to(self.device)),
                    TensorBatches(fx, fy, cfg.batch_size, True, seed),
                )
                amp = contextlib.nullcontext
                self.head.train()
            else:
                set_train_mode(self.model, self.spec, stage.frozen)
                model, prep, amp = trainable, self.prep, self.amp_eval if stage.frozen else self.amp
                train_batches = self.loader("train", shuffle=True, seed=seed, augment=True)
            epoch_start = time.time()
            with self._bar(len(train_batches), f"epoch {global_epoch}/{self.total_epochs} [{stage.name}]") as bar:

                def on_batch(b: int, n: int, loss: float) -> None:
                    bar.update()
                    self._event(stage, global_epoch, b, n, loss, epoch_start)

                try:
                    result = train_one_epoch(
                        model,
                        train_batches,
                        optimizer,
                        self.criterion,
                        prep,
                        self.device,
                        scheduler=scheduler,
                        amp=amp,
                        on_batch=on_batch,
                        should_stop=self.should_stop,
                    )
                except StopTraining:
                    self.save_checkpoint(index, epoch, optimizer, scheduler)
                    raise
            train_loss, train_acc = self.reduce(result.loss, result.acc, result.images)
            val = self.predict_split("val", use_features) if len(self.data["val"]) else None
            val_loss, val_acc = (
                self.reduce(val.loss, val.acc, len(val.targets)) if val is not None else (float("nan"), float("nan"))
            )
            if val is not None and not math.isfinite(val_loss):
                raise NonFiniteLoss(
                    f"the validation loss became NaN or infinite in epoch {global_epoch}; lower the learning rate (e.g. divide --lr-head by 10)"
                )
            seconds = time.time() - epoch_start
            self.epoch_seconds.append(seconds)
            row = {
                "epoch": global_epoch,
                "stage": stage.name,
                "train_loss": round(train_loss, 5),
                "train_acc": round(train_acc, 5),
                "val_loss": round(val_loss, 5) if val else None,
                "val_acc": round(val_acc, 5) if val else None,
                "lr": optimizer.param_groups[-1]["lr"],
                "seconds": round(seconds, 3),
                "elapsed": round(time.time() - self.started, 3),
            }
            self.run.append_metrics(row)
            improved = val is None or val_acc > self.best_acc
            if improved:
                self.best_acc, self.best_epoch = (val_acc if val else train_acc), global_epoch
                self.best_state = {k: v.detach().clone().cpu() for k, v in self.model.state_dict().items()}
                self.best_frozen = stage.frozen
                if self.main:
                    save_weights(self.best_state, self.run.file("model.safetensors"), self._metadata())
            self.save_checkpoint(index, epoch + 1, optimizer, scheduler)
            self.run.update_status(epoch=global_epoch, best_val_acc=self.best_acc)
            self.log(
                f"epoch {global_epoch}/{self.total_epochs} [{stage.name}] train loss {train_loss:.4f} acc {train_acc:.1%}"
                + (f" | val loss {val_loss:.4f} acc {val_acc:.1%}" if val else "")
                + f" | {seconds:.1f}s"
                + (" *" if improved else "")
            )

    def write_report(self) -> dict:
        """Evaluate the best weights on val (and test) and write report.json and val_predictions.csv (rank 0)."""
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        if not self.main:
            distributed.barrier(self.ctx)
            return {}
        report = self._report()
        distributed.barrier(self.ctx)
        return report

    def _report(self) -> dict:
        frozen_ok = self.best_frozen and self.cfg.feature_cache and self._val_feats is not None
        classes = self.dataset.classes
        report: dict = {
            "classes": classes,
            "best_epoch": self.best_epoch,
            "epochs_run": len(self.epoch_seconds),
            "train_seconds": round(sum(self.epoch_seconds), 2),
            "params": sum(p.numel() for p in self.model.parameters()),
        }
        if len(self.data["val"]):
            val = self.predict_split("val", frozen_ok, whole=True)
            part = classification_report(val.targets.tolist(), val.preds.tolist(), classes)
            report.update(
                val_accuracy=part["accuracy"],
                val_loss=val.loss,
                per_class=part["per_class"],
                confusion_matrix=part["confusion_matrix"],
                macro_f1=part["macro_f1"],
            )
            self._save_predictions(val)
        if "test" in self.data:
            test = self.predict_split("test", False, whole=True)
            part = classification_report(test.targets.tolist(), test.preds.tolist(), classes)
            report.update(test_accuracy=part["accuracy"], test=part)
        write_json(self.run.file("report.json"), report)
        return report

    def _save_predictions(self, val: Predictions) -> None:
        probs = val.probs
        picked = probs.gather(1, val.targets[:, None]).squeeze(1).clamp_min(1e-12)
        frame = pd.DataFrame(
            {
                "path": [os.path.relpath(p, self.dataset.root) for p in self.data["val"].paths],
                "target": [self.dataset.classes[i] for i in val.targets.tolist()],
                "pred": [self.dataset.classes[i] for i in val.preds.tolist()],
                "confidence": probs.max(1).values.numpy().round(5),
                "loss": (-picked.log()).numpy().round(5),
            }
        )
        frame.to_csv(self.run.file("val_predictions.csv"), index=False)

    # ----- the whole run ------------------------------------------------------------------
    def fit(self, resume: dict | None = None) -> dict:
        start_stage, start_epoch = (resume["stage"], resume["epoch"]) if resume else (0, 0)
        for index, stage in enumerate(self.stages):
            if index < start_stage:
                continue
            first = index == start_stage
            self.fit_stage(index, stage, start_epoch if first else 0, resume if first and start_epoch > 0 else None)
        return self.write_report()

    def execute(self, resume: bool = False) -> dict:
        """Run to the end and return the final status (completed, failed or cancelled)."""
        previous = signal.signal(signal.SIGTERM, self._on_sigterm) if _main_thread() else None
        started = self.started = time.time()
        status = self.run.status()
        self.run.update_status(
            state="running",
            pid=os.getpid(),
            started=status.get("started") or started,
            ended=None,
            epoch=status.get("epoch", 0),
            epochs=self.total_epochs,
            message="starting",
            created=status.get("created") or started,
        )
        try:
            self.prepare()
            state = self.load_checkpoint() if resume else None
            if state is not None:
                self.log(f"resuming from stage {state['stage'] + 1}, epoch {state['epoch'] + 1}")
            report = self.fit(state)
            acc = report.get("val_accuracy")
            message = "completed" + (f": val accuracy {acc:.1%}" if acc is not None else "")
            if "test_accuracy" in report:
                message += f", test accuracy {report['test_accuracy']:.1%}"
            return self.run.update_status(
                state="completed", ended=time.time(), message=message, epoch=self.total_epochs
            )
        except StopTraining:
            if self.best_state is not None:
                self.write_report()
            return self.run.update_status(
                state="cancelled",
                ended=time.time(),
                message="stopped on request; the best weights so far and a checkpoint were saved",
            )
        except NonFiniteLoss as exc:
            return self._fail(str(exc))
        except IngestError as exc:
            if self.main:
                write_json(self.run.file("ingest.json"), exc.report)
            return self._fail(str(exc))
        except CnnappError as exc:
            return self._fail(str(exc))
        except (torch.OutOfMemoryError, MemoryError):
            return self._fail("out of memory: lower --batch-size or --img-size, or pick a smaller architecture")
        except OSError as exc:
            if is_disk_full(exc):
                return self._fail(f"{DISK_FULL_MESSAGE} ({exc.filename or exc.strerror})")
            return self._fail(
                f"could not read or write files ({exc.strerror or exc}: {exc.filename or ''}); check disk space and permissions"
            )
        except Exception as exc:  # the run must end with a clear state whatever happened
            if is_disk_full(exc):  # e.g. safetensors' "os error 28"
                return self._fail(f"{DISK_FULL_MESSAGE} ({type(exc).__name__} while writing the run's files)")
            if any(sign in str(exc).lower() for sign in OOM_SIGNS):
                return self._fail("out of memory: lower --batch-size or --img-size, or pick a smaller architecture")
            traceback.print_exc(file=sys.stderr)
            return self._fail(
                f"unexpected error ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); see train.log"
            )
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _fail(self, message: str) -> dict:
        self.log(f"error: {message}")
        return self.run.update_status(state="failed", ended=time.time(), message=message)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def train(cfg: TrainConfig, run_dir: Path | str | None = None, progress: bool = True) -> tuple[RunDir, dict]:
    """Validate `cfg`, create (or adopt a queued) run directory and train. ConfigError before any work.

    Launched by torchrun, every rank trains its shard and rank 0 alone writes the run directory.
    """
    cfg = resolve(cfg)
    ctx = distributed.init_from_env()
    try:
        run = _on_main(lambda: _adopt_run_dir(run_dir, cfg), ctx)
        return run, Training(cfg, run, progress, ctx).execute()
    finally:
        distributed.shutdown()


def resume_training(run_dir: Path | str, progress: bool = True) -> tuple[RunDir, dict]:
    """Continue an interrupted or cancelled run from its last checkpoint."""
    ctx = distributed.init_from_env()
    try:
        run = _on_main(lambda: _resumable(run_dir), ctx)
        cfg = resolve(TrainConfig.load(run.file("config.json")))
        return run, Training(cfg, run, progress, ctx).execute(resume=run.file("checkpoint.pt").is_file())
    finally:
        distributed.shutdown()


def _on_main(make_run: Callable[[], RunDir], ctx: distributed.Context) -> RunDir:
    """Run `make_run` on rank 0 and give every rank the same run directory (or the same error)."""
    result: RunDir | CnnappError | None = None
    if ctx.main:
        try:
            result = make_run()
        except CnnappError as exc:
            if not ctx.enabled:
                raise
            result = exc
    result = distributed.broadcast(result if not isinstance(result, RunDir) else str(result.path), ctx)
    if isinstance(result, CnnappError):
        raise result
    return RunDir(result)


def _resumable(run_dir: Path | str) -> RunDir:
    run = RunDir(run_dir)
    if not run.file("config.json").is_file():
        raise RunError(f"{run_dir} is not a run directory")
    state = run.reconcile().get("state")
    if state not in ("interrupted", "cancelled", "failed", "queued"):
        raise RunError(f"run {run.id} is {state}; only interrupted, cancelled or failed runs can be resumed")
    if run.stop_requested():
        run.file("stop.request").unlink()
    return run


def _adopt_run_dir(run_dir: Path | str | None, cfg: TrainConfig) -> RunDir:
    """A new run directory (or a queued one the app prepared) holding the resolved config."""
    if run_dir is None:
        run = RunDir.create(cfg.arch)
    else:
        run = RunDir(run_dir)
        state = run.status().get("state")
        if state not in (None, "queued"):
            raise RunError(f"{run_dir} already holds a {state} run; choose a new --run-dir or use --resume")
        run.path.mkdir(parents=True, exist_ok=True)
    cfg.save(run.file("config.json"))
    return run
