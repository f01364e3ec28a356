"""What a training steps: the model with its device, data, loss and batches (fastai's `Learner`, minus the loop).

`cnnapp.training.train.Training` drives a `Learner` through its stages; benchmarks use one directly.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from cnnapp import distributed, hardware, workspace
from cnnapp.data.ingest import IMBALANCE_WARN_RATIO, Dataset
from cnnapp.data.loaders import ImageCache, ImageDataset, balanced_sampler, class_weights, make_loader
from cnnapp.data.transforms import BatchPrep, build_augment, parse_augment
from cnnapp.errors import NonFiniteLoss
from cnnapp.messages import Message, msg
from cnnapp.models.factory import FeatureTap, create_model, head_of, set_frozen, set_train_mode, split_params
from cnnapp.models.registry import get_spec
from cnnapp.training.config import TrainConfig
from cnnapp.training.engine import (
    Batches,
    FeatureCache,
    Features,
    Predictions,
    Prep,
    StreamedFeatures,
    TensorBatches,
    evaluate_batches,
    extract_features,
    make_optimizer,
    make_scheduler,
)
from cnnapp.training.metrics import balanced_accuracy, confusion_matrix, macro_f1
from cnnapp.training.progress import Progress
from cnnapp.training.regularisers import Ema, Mixing, soft_target_loss

MAX_FEATURE_VIEWS = 4
EVAL_BATCH_MAX, EVAL_BATCH_PIXELS = 128, 64
Amp = Callable[[], contextlib.AbstractContextManager]


@dataclass
class Stage:
    """A block of epochs with one freeze setting and one pair of learning rates."""

    name: str
    epochs: int
    frozen: bool
    lr_head: float
    lr_backbone: float


def decode_splits(dataset: Dataset, size: int) -> dict[str, ImageDataset]:
    """Every split of `dataset` as decoded, cached images at `size` (those ingestion decoded at `size`, if it did)."""
    decoded = dataset.decoded if dataset.decoded is not None and dataset.decoded.size == size else None
    data = {}
    for split, samples in dataset.splits.items():
        paths = dataset.paths(split)
        if decoded is not None:
            cache = decoded.split(samples)
        else:
            cache = ImageCache.build(paths, size, workspace.cache_dir()) if paths else None
        data[split] = ImageDataset(paths, dataset.labels(split), size, cache=cache)
    return data


def balance_mode(balance: str, ratio: float, distributed: bool = False) -> str:
    """What a config's `balance` means for a train split whose largest ÷ smallest class is `ratio`: `auto` is
    weights past `IMBALANCE_WARN_RATIO`, else none; under torchrun (each rank reads a shard) sampler becomes weights."""
    if balance == "auto":
        return "weights" if ratio > IMBALANCE_WARN_RATIO else "none"
    return "weights" if balance == "sampler" and distributed else balance


class Learner:
    """A config's model, data and loss on its device. `build()` makes them; until then only the config is known.

    `stop` says whether a stop was requested on this process; `frozen_epochs` sizes the feature cache. Mixed batches
    (`regularisers.Mixing`) need images, even in a frozen stage; with an `Ema`, its average is `evaluated`.
    It is longer than 200 lines: it is the one owner of what a step needs (model, data, loss, balance, mixing, the
    average, devices); split, each part would pass the others around. Their logic lives in `engine`,
    `regularisers`, `metrics`.
    """

    def __init__(
        self,
        cfg: TrainConfig,
        ctx: distributed.Context | None = None,
        progress: Progress | None = None,
        stop: Callable[[], bool] = lambda: False,
        frozen_epochs: int = 1,
    ):
        self.cfg = cfg
        self.ctx = ctx or distributed.Context()
        self.progress = progress or Progress(None, 1, show=False)
        self.stop = stop
        self.spec = get_spec(cfg.arch)
        self.criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)  # evaluation: every image alike
        self.mixing = bool(cfg.mixup or cfg.cutmix)
        # the gradient steps' loss: soft targets when mixing; class-weighted by build() for "weights" (torch's
        # cross-entropy takes class weights with soft targets too)
        self.train_criterion = soft_target_loss() if self.mixing else self.criterion
        self.balance = "none"  # what build() made of cfg.balance: none, sampler or weights
        self.num_classes = 0  # set by build()
        self.val_scores: dict[str, float] = {}  # the last validate()'s balanced accuracy and macro-F1
        self.mix: Mixing | None = None  # set by build(), which knows the classes, as `ema` (when cfg.ema_decay)
        self.ema: Ema | None = None
        self.augmentation = parse_augment(cfg.augment)  # parsed once; every loader's pipeline is built from it
        self.augmenting = bool(self.augmentation)
        views = min(frozen_epochs, MAX_FEATURE_VIEWS) if self.augmenting else 1
        self.features = FeatureCache(self._features, views)
        # set by build(): picking the device can fail (ConfigError), which must fail the run, not the constructor
        self.device = torch.device("cpu")
        self.bf16 = self.bf16_eval = False
        self.prep: BatchPrep | None = None
        self.model: nn.Module | None = None
        self.head: nn.Module | None = None
        self.stepped: nn.Module | None = None  # the model the current stage steps (wrapped under torchrun)
        self.data: dict[str, ImageDataset] = {}

    def build(self, dataset: Dataset, say: Callable[[Message], None] = lambda _: None) -> None:
        """Pick the device, create the model and decode the images (`say` reports each step)."""
        cfg = self.cfg
        self.device = hardware.pick_device(cfg.device)
        self.bf16 = hardware.use_bf16(cfg.precision, self.device)
        self.bf16_eval = hardware.use_bf16(cfg.precision, self.device, training=False)
        self.prep = BatchPrep(self.spec.mean, self.spec.std, self.device, cfg.channels_last)
        say(msg("run.building_arch", arch=cfg.arch))
        model = create_model(cfg.arch, len(dataset.classes), pretrained=bool(cfg.pretrained), weights=cfg.weights)
        model = model.to(self.device)
        self.model = model.to(memory_format=torch.channels_last) if cfg.channels_last else model
        self.head = head_of(self.model, self.spec)
        self.mix = Mixing(cfg, len(dataset.classes)) if self.mixing else None
        self.ema = Ema(self.model, cfg.ema_decay) if cfg.ema_decay else None
        say(msg("run.decoding"))
        self.data = decode_splits(dataset, cfg.img_size)
        self.num_classes = len(dataset.classes)
        self.balance = balance_mode(cfg.balance, dataset.imbalance(), self.ctx.enabled)
        if self.balance == "weights":
            weights = class_weights(self.data["train"].labels, len(dataset.classes)).to(self.device)
            self.train_criterion = nn.CrossEntropyLoss(weight=weights, label_smoothing=cfg.label_smoothing)

    def describe(self) -> Message:
        """The data and hardware in one line, for the log: codes, so that a page says it in its language."""
        counts = [msg("log.split_count", count=len(d), split=msg(f"split.{s}")) for s, d in self.data.items()]
        where = hardware.describe(self.device, self.bf16, self.bf16_eval, self.cfg.channels_last)
        return msg("log.details", counts=counts, size=self.cfg.img_size, where=where)

    def loader(self, split: str, shuffle: bool, seed: int = 0, augment: bool = False, whole: bool = False):
        """Batches of a split; passes without gradients (`shuffle=False`) use larger batches at small sizes.

        Under torchrun each rank gets its shard, unless `whole` asks for the entire split.
        """
        ds, cfg = self.data[split], self.cfg
        ds.augment = build_augment(self.augmentation, cfg.img_size, seed=seed) if augment else None
        batch = cfg.batch_size
        if not shuffle:
            batch = max(batch, min(EVAL_BATCH_MAX, int(EVAL_BATCH_MAX * (EVAL_BATCH_PIXELS / cfg.img_size) ** 2)))
        sampler = None
        if self.balance == "sampler" and shuffle:
            sampler = balanced_sampler(ds.labels, seed)
        elif self.ctx.enabled and shuffle:
            sampler = distributed.shard_sampler(len(ds), seed, self.ctx)
        elif self.ctx.enabled and not whole:
            sampler = distributed.eval_shard(len(ds), self.ctx)
        return make_loader(ds, batch, shuffle=shuffle, seed=seed, workers=cfg.workers, sampler=sampler)

    def begin_stage(self, stage: Stage, resume: dict | None = None) -> tuple[torch.optim.Optimizer, object]:
        """Freeze for `stage` and pick the model it steps; return its optimizer (backbone and head groups) and
        per-batch scheduler, restored from the checkpoint `resume`."""
        cfg = self.cfg
        set_frozen(self.model, self.spec, stage.frozen)
        self.stepped = self.model if self.uses_features(stage) else self.trainable()
        backbone, head = split_params(self.model, self.spec)
        groups = [{"params": head, "lr": stage.lr_head, "name": "head"}]
        if not stage.frozen:
            groups.insert(0, {"params": backbone, "lr": stage.lr_backbone, "name": "backbone"})
        optimizer = make_optimizer(cfg.optimizer, groups, cfg.weight_decay, cfg.momentum)
        batches = math.ceil(math.ceil(len(self.data["train"]) / self.ctx.world) / cfg.batch_size)
        scheduler = make_scheduler(cfg.scheduler, optimizer, stage.epochs * batches)
        if resume is not None:
            optimizer.load_state_dict(resume["optimizer"])
            if scheduler is not None and resume["scheduler"] is not None:
                scheduler.load_state_dict(resume["scheduler"])
        return optimizer, scheduler

    def uses_features(self, stage: Stage) -> bool:
        """Whether `stage` trains the head on cached backbone features."""
        return stage.frozen and self.cfg.feature_cache and not self.ctx.enabled and not self.mixing

    @property
    def evaluated(self) -> nn.Module:
        """The weights that are validated, kept as the best and saved: the EMA's when on, else the model's."""
        return self.model if self.ema is None else self.ema.module

    def load_weights(self, state: dict[str, torch.Tensor]) -> None:
        """Continue from kept weights (the best epoch's): the model's, and the EMA's too."""
        self.model.load_state_dict(state)
        if self.ema is not None:
            self.ema.module.load_state_dict(state)

    def kinds(self, stage: Stage, epoch: int) -> list[str]:
        """What the (0-based) `epoch` of `stage` and each after it will run: "cached" (a head on features computed
        before), "streamed" (a head as the features are computed) or "images" (the network on images): epochs of a
        kind take about as long as each other, so the time-left estimate goes by kind."""
        if not self.uses_features(stage):
            return ["images"] * (stage.epochs - epoch)
        kinds, seen = [], set()
        for later in range(epoch, stage.epochs):
            view = self.features.view(later)
            kinds.append("cached" if view in seen or self.features.cached(later) is not None else "streamed")
            seen.add(view)
        return kinds

    def epoch_inputs(self, stage: Stage, epoch: int) -> tuple[nn.Module, Batches, Prep, Amp]:
        """(model, batches, prep, amp) of a (1-based) epoch: the head on cached features, or the network on images."""
        seed = self.cfg.seed * 1000 + epoch
        if self.uses_features(stage):
            self.head.train()
            if self.balance == "sampler":  # drawn from the whole split's features (a streamed pass would draw twice)
                x, y = self.features.train(epoch - 1)
                weights = class_weights(y, int(y.max()) + 1)[y]
                batches = TensorBatches(x, y, self.cfg.batch_size, True, seed, weights=weights)
            elif (cached := self.features.cached(epoch - 1)) is not None:
                batches = TensorBatches(*cached, self.cfg.batch_size, True, seed)
            else:  # the first epoch of a view computes its features as the head trains on them
                batches = StreamedFeatures(
                    self.model,
                    partial(FeatureTap, self.model, self.spec),
                    self.loader("train", shuffle=True, seed=seed, augment=self.augmenting),
                    self.prep,
                    partial(self.features.keep, epoch - 1),
                    amp=self.amp_eval,
                )
            return self.head, batches, self.to_device, contextlib.nullcontext
        set_train_mode(self.model, self.spec, stage.frozen)
        batches = self.loader("train", shuffle=True, seed=seed, augment=True)
        return self.stepped, batches, self.prep, self.amp_eval if stage.frozen else self.amp

    def trainable(self) -> nn.Module:
        """The model to step: wrapped in DistributedDataParallel under torchrun (once per stage: freezing changes
        which parameters it synchronises)."""
        if not self.ctx.enabled:
            return self.model
        device_ids = [self.ctx.local_rank] if self.device.type == "cuda" else None
        return DistributedDataParallel(self.model, device_ids=device_ids)

    def predict(self, split: str, frozen_features: bool = False, whole: bool = False) -> Predictions:
        """Predictions of the `evaluated` weights on a split (through cached features when they are valid)."""
        if frozen_features and split == "val":
            x, y = self.features.val()
            batches = TensorBatches(x, y, 1024, False)
            head = self.head if self.ema is None else head_of(self.ema.module, self.spec)
            return evaluate_batches(head, batches, self.criterion, self.to_device, self.device)
        loader = self.loader(split, shuffle=False, whole=whole)
        return evaluate_batches(self.evaluated, loader, self.criterion, self.prep, self.device, amp=self.amp_eval)

    def validate(self, stage: Stage, epoch: int) -> tuple[float, float] | None:
        """Val loss and accuracy (over all ranks) after an epoch; None without val images. Raises NonFiniteLoss."""
        if not len(self.data["val"]):
            return None
        val = self.predict("val", self.uses_features(stage))
        loss, acc = self.reduce(val.loss, val.acc, len(val.targets))
        if not math.isfinite(loss):
            raise NonFiniteLoss(msg("loss.non_finite_val", epoch=epoch))
        cm = confusion_matrix(val.targets.tolist(), val.preds.tolist(), self.num_classes)
        cm = np.asarray(distributed.all_sum(cm.ravel().tolist(), self.ctx, self.device)).reshape(cm.shape)
        self.val_scores = {"val_balanced_acc": balanced_accuracy(cm), "val_macro_f1": macro_f1(cm)}
        return loss, acc

    def reduce(self, loss: float, acc: float, n: int) -> tuple[float, float]:
        """Mean loss and accuracy over all ranks from this rank's share of `n` images."""
        total_loss, correct, count = distributed.all_sum([loss * n, acc * n, n], self.ctx, self.device)
        return total_loss / max(count, 1), correct / max(count, 1)

    def should_stop(self) -> bool:
        """A stop was requested; under torchrun, on any rank (all ranks stop together)."""
        return distributed.any_rank(self.stop(), self.ctx, self.device)

    def amp(self) -> contextlib.AbstractContextManager:
        """Autocast for gradient steps."""
        return hardware.autocast(self.device, self.bf16)

    def amp_eval(self) -> contextlib.AbstractContextManager:
        """Autocast for passes without gradients (also through frozen backbones)."""
        return hardware.autocast(self.device, self.bf16_eval)

    def to_device(self, t: torch.Tensor) -> torch.Tensor:
        return t.to(self.device)

    def _features(self, split: str, view: int | None) -> Features:
        """Backbone features for the FeatureCache: a train view (augmented when augmenting) or val (`view` None)."""
        seed, augment = (0, False) if view is None else (self.cfg.seed * 1000 + view, self.augmenting)
        label = "features (val)" if view is None else f"features (view {view + 1})"
        self.model.eval()
        loader = self.loader(split, shuffle=False, seed=seed, augment=augment)
        with FeatureTap(self.model, self.spec) as tap, self.progress.bar(len(loader), label) as bar:
            return extract_features(
                self.model, tap, loader, self.prep, amp=self.amp_eval, on_batch=lambda *_: bar.update(),
                should_stop=self.should_stop,
            )  # fmt: skip
