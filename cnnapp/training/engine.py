"""The training engine: plain `train_one_epoch` / `evaluate` loops, optimizers and schedulers."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from cnnapp.errors import NonFiniteLoss
from cnnapp.messages import msg
from cnnapp.models.factory import FeatureTap

OnBatch = Callable[[int, int, float], None]
ShouldStop = Callable[[], bool]


class StopTraining(Exception):
    """Raised inside a loop when a stop was requested."""


@dataclass
class EpochResult:
    """Mean loss and accuracy over one pass."""

    loss: float
    acc: float
    images: int
    seconds: float


@dataclass
class Predictions:
    """Targets, predicted classes and probabilities of one pass, with its loss and accuracy."""

    loss: float
    acc: float
    targets: torch.Tensor
    preds: torch.Tensor
    probs: torch.Tensor


class Divergence:
    """Watches a run's batch losses and raises NonFiniteLoss once the loss has diverged.

    The rule: the loss of the run's first batch, before any step (never under `FLOOR`, so that a resumed run that
    already fits its data is not held to a tiny loss), is the baseline; the loss has diverged once it stays above
    `FACTOR` × that baseline for `PATIENCE` batches in a row. Only the first batch: a learning rate far too high (e.g.
    1000) sends the loss to millions within a step or two, so a mean of several first batches would already be
    spoiled. A good run's loss falls below its start, and a noisy batch (or a stage that unfreezes the backbone)
    never stays 100× up for 10 batches. One watcher follows a whole run, across epochs and stages. (A NaN or infinite
    loss is caught at once by `train_one_epoch`.)
    """

    FACTOR = 100.0
    PATIENCE = 10
    FLOOR = 0.1

    def __init__(self) -> None:
        self.baseline: float | None = None
        self.above = 0

    def see(self, loss: float) -> None:
        """One batch's loss. Raises NonFiniteLoss when the loss has diverged."""
        if self.baseline is None:
            self.baseline = max(loss, self.FLOOR)
            return
        self.above = self.above + 1 if loss > self.FACTOR * self.baseline else 0
        if self.above >= self.PATIENCE:
            raise NonFiniteLoss(msg("loss.diverged", factor=self.FACTOR, batches=self.PATIENCE))


Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
Prep = Callable[[torch.Tensor], torch.Tensor]
Features = tuple[torch.Tensor, torch.Tensor]
Mix = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def make_optimizer(name: str, groups: list[dict], weight_decay: float, momentum: float) -> torch.optim.Optimizer:
    """One of the course's optimizers over parameter groups (each with its own `lr`); SGD, Adam and AdamW with
    torch's fused step (one kernel for all parameters, on CPU as on CUDA: a head's step ~15% faster)."""
    kinds = {
        "sgd": lambda: torch.optim.SGD(
            groups, momentum=momentum, weight_decay=weight_decay, nesterov=momentum > 0, fused=True
        ),
        "adam": lambda: torch.optim.Adam(groups, weight_decay=weight_decay, fused=True),
        "adamw": lambda: torch.optim.AdamW(groups, weight_decay=weight_decay, fused=True),
        "rmsprop": lambda: torch.optim.RMSprop(groups, momentum=momentum, weight_decay=weight_decay),
        "adagrad": lambda: torch.optim.Adagrad(groups, weight_decay=weight_decay),
        "adadelta": lambda: torch.optim.Adadelta(groups, weight_decay=weight_decay),
        "adamax": lambda: torch.optim.Adamax(groups, weight_decay=weight_decay),
    }
    return kinds[name]()


def make_scheduler(
    name: str, optimizer: torch.optim.Optimizer, total_steps: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """A per-batch schedule over `total_steps`: cosine decay, one-cycle, or none."""
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps))
    if name == "onecycle":
        max_lr = [g["lr"] for g in optimizer.param_groups]
        defaults = optimizer.defaults
        cycle = "betas" in defaults or defaults.get("momentum", 0) > 0
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=max_lr, total_steps=max(2, total_steps), cycle_momentum=cycle
        )
    return None


def train_one_epoch(
    model: nn.Module,
    batches: Batches,
    optimizer: torch.optim.Optimizer,
    criterion: nn.Module,
    prep: Prep,
    device: torch.device,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    amp: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    on_batch: OnBatch | None = None,
    should_stop: ShouldStop | None = None,
    divergence: Divergence | None = None,
    mix: Mix | None = None,
    after_step: Callable[[], None] | None = None,
) -> EpochResult:
    """One pass of gradient steps, each batch's loss shown to `divergence`. Raises StopTraining or NonFiniteLoss.

    `mix` turns a batch's images and class indices into mixed images and soft targets (mixup, cutmix: `criterion`
    then takes soft targets; accuracy counts the dominant class); `after_step` runs after each step (the EMA).
    """
    start = time.perf_counter()
    total_loss = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    seen = 0
    n_batches = len(batches) if hasattr(batches, "__len__") else 0
    for i, (images, targets) in enumerate(batches):
        if should_stop is not None and should_stop():
            raise StopTraining
        x = prep(images)
        y = targets.to(device, non_blocking=True)
        if mix is not None:
            x, y = mix(x, y)
        with amp():
            logits = model(x)
        loss = criterion(logits.float(), y)
        value = loss.item()
        if not math.isfinite(value):
            raise NonFiniteLoss(msg("loss.non_finite"))
        if divergence is not None:
            divergence.see(value)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if after_step is not None:
            after_step()
        n, label = len(y), y.argmax(1) if y.ndim == 2 else y
        total_loss += loss.detach() * n
        correct += (logits.detach().argmax(1) == label).sum()
        seen += n
        if on_batch is not None:
            on_batch(i + 1, n_batches, float(total_loss) / seen)
    seen = max(seen, 1)
    return EpochResult(float(total_loss) / seen, float(correct) / seen, seen, time.perf_counter() - start)


@torch.inference_mode()
def evaluate_batches(
    model: nn.Module,
    batches: Batches,
    criterion: nn.Module,
    prep: Prep,
    device: torch.device,
    *,
    amp: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
) -> Predictions:
    """Loss, accuracy and per-image predictions over `batches` (model in eval mode)."""
    was_training = model.training
    model.eval()
    targets, probs = [], []
    total_loss, seen = 0.0, 0
    for images, y in batches:
        y = y.to(device, non_blocking=True)
        with amp():
            logits = model(prep(images))
        logits = logits.float()
        total_loss += float(criterion(logits, y)) * y.numel()
        seen += y.numel()
        targets.append(y.cpu())
        probs.append(logits.softmax(1).cpu())
    model.train(was_training)
    if not seen:
        empty = torch.empty(0, dtype=torch.long)
        return Predictions(float("nan"), float("nan"), empty, empty, torch.empty(0, 0))
    t, p = torch.cat(targets), torch.cat(probs)
    preds = p.argmax(1)
    return Predictions(total_loss / seen, float((preds == t).float().mean()), t, preds, p)


@torch.inference_mode()
def extract_features(
    model: nn.Module,
    tap: FeatureTap,
    batches: Batches,
    prep: Prep,
    *,
    amp: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    on_batch: OnBatch | None = None,
    should_stop: ShouldStop | None = None,
) -> Features:
    """Pre-logit features (float32) and labels of every batch, with the model in eval mode."""
    feats, labels = [], []
    n_batches = len(batches) if hasattr(batches, "__len__") else 0
    for i, (images, y) in enumerate(batches):
        if should_stop is not None and should_stop():
            raise StopTraining
        with amp():
            model(prep(images))
        feats.append(tap.features.float().flatten(1))
        labels.append(y)
        if on_batch is not None:
            on_batch(i + 1, n_batches, float("nan"))
    return torch.cat(feats), torch.cat(labels)


class FeatureCache:
    """A frozen backbone's features, each computed once: the val split, and `views` versions of the train split.

    `compute(split, view)` extracts them (`view` is None for val). Epochs cycle through the train views, so
    that with augmentation the head sees a few augmented versions of each image rather than always the same.
    A view can also be filled by the epoch that first needs it (`StreamedFeatures`, then `keep`).
    """

    def __init__(self, compute: Callable[[str, int | None], Features], views: int = 1):
        self.compute = compute
        self.views = max(1, views)
        self.train_views: dict[int, Features] = {}
        self.val_features: Features | None = None

    def view(self, epoch: int) -> int:
        """The train view a (0-based) epoch uses."""
        return epoch % self.views

    def cached(self, epoch: int) -> Features | None:
        """The train features of a (0-based) epoch if they were computed already."""
        return self.train_views.get(self.view(epoch))

    def keep(self, epoch: int, features: Features) -> None:
        """Store the train features an epoch computed as it went."""
        self.train_views[self.view(epoch)] = features

    def train(self, epoch: int) -> Features:
        """The train features for a (0-based) epoch."""
        view = self.view(epoch)
        if view not in self.train_views:
            self.train_views[view] = self.compute("train", view)
        return self.train_views[view]

    def val(self) -> Features:
        if self.val_features is None:
            self.val_features = self.compute("val", None)
        return self.val_features


class StreamedFeatures:
    """The first epoch over a frozen backbone: mini-batches of backbone features computed as the head trains on them.

    Training starts after one batch through the backbone instead of after the whole split (on the example, the
    first step comes ~1 s sooner); `done` receives every batch's features once the pass completes, for the next
    epochs. The backbone runs in eval mode without gradients, the head is left in train mode for its step.
    """

    def __init__(
        self,
        model: nn.Module,
        tap: Callable[[], FeatureTap],
        batches: Batches,
        prep: Prep,
        done: Callable[[Features], None],
        amp: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    ):
        self.model, self.tap, self.batches, self.prep, self.done, self.amp = model, tap, batches, prep, done, amp

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[Features]:
        feats, labels = [], []
        head = self.tap().head
        for images, y in self.batches:
            self.model.eval()
            with torch.no_grad(), self.amp(), self.tap() as tap:
                self.model(self.prep(images))
            x = tap.features.float().flatten(1)
            feats.append(x)
            labels.append(y)
            head.train()
            yield x, y
        self.done((torch.cat(feats), torch.cat(labels)))


class TensorBatches:
    """Shuffled (or ordered) mini-batches over in-memory tensors, e.g. cached features; with per-row `weights`, an
    epoch draws `len(x)` rows with replacement in proportion to them (as `WeightedRandomSampler`).

    A pass gathers the tensors once in its order and yields slices of them (views, no copy per batch), and runs on
    one CPU thread, restored when the pass ends: a linear head's steps on a few dozen feature vectors are far too
    small to share, and every op shared with a second thread waits for it (on a busy 2-core machine a cached epoch
    took 11.4 s on two threads, 0.42 s on one). Only a training's own process iterates it (not the app's threads).
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        shuffle: bool,
        seed: int = 0,
        weights: torch.Tensor | None = None,
    ):
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.weights = weights
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __iter__(self) -> Iterator[Features]:
        x, y = self.x, self.y
        if self.weights is not None:
            order = torch.multinomial(self.weights.double(), len(x), replacement=True, generator=self.generator)
            x, y = x[order], y[order]
        elif self.shuffle:
            order = torch.randperm(len(x), generator=self.generator)
            x, y = x[order], y[order]
        with one_thread(x.device):
            for i in range(0, len(x), self.batch_size):
                yield x[i : i + self.batch_size], y[i : i + self.batch_size]


@contextlib.contextmanager
def one_thread(device: torch.device) -> Iterator[None]:
    """Torch's CPU ops on one thread inside (for steps too small to share); the thread count is restored after."""
    threads = torch.get_num_threads()
    if device.type != "cpu" or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
