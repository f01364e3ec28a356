"""timm's regularisers as a `Learner` uses them: mixup and cutmix (`Mixing`, timm's `Mixup`, with its soft-target
loss) and an exponential moving average of the weights (`Ema`, timm's `ModelEmaV3`).

Kept out of `learner` so that the learner stays a model, its data and its batches; timm is imported when an option
asks for it.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnapp.runs import cpu_state
from cnnapp.training.config import TrainConfig


def soft_target_loss() -> nn.Module:
    """timm's cross-entropy against soft targets (the mixed labels; label smoothing is in them already)."""
    from timm.loss import SoftTargetCrossEntropy

    return SoftTargetCrossEntropy()


class Mixing:
    """timm's `Mixup` (mixup and/or cutmix, one of them per batch, with the config's label smoothing) as
    `engine.train_one_epoch`'s `mix`: images and class indices in, mixed images and soft targets out.

    timm's Mixup pairs a batch with itself reversed and needs an even batch: an odd batch leaves out its last image,
    and a batch of one is not mixed (only made a soft target, by timm's `mixup_target`).
    """

    def __init__(self, cfg: TrainConfig, num_classes: int):
        from timm.data import Mixup

        self.num_classes, self.smoothing = num_classes, cfg.label_smoothing
        self.mixup = Mixup(
            mixup_alpha=cfg.mixup, cutmix_alpha=cfg.cutmix, label_smoothing=cfg.label_smoothing, num_classes=num_classes
        )

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from timm.data.mixup import mixup_target

        if len(x) < 2:
            return x, mixup_target(y, self.num_classes, 1.0, self.smoothing)
        if len(x) % 2:
            x, y = x[:-1], y[:-1]
        return self.mixup(x, y)


class Ema:
    """timm's `ModelEmaV3` following `model` after each step (`step`), and what a checkpoint keeps of it.

    With timm's warm-up the decay is 1 - (1 + step)^-2/3, at most `decay`: a short run's average follows its weights
    instead of staying near where they started.
    """

    def __init__(self, model: nn.Module, decay: float):
        from timm.utils import ModelEmaV3

        self.model = model
        self.average = ModelEmaV3(model, decay=decay, use_warmup=True)
        self.steps = 0

    @property
    def module(self) -> nn.Module:
        """The averaged model (eval mode)."""
        return self.average.module

    def step(self) -> None:
        """After an optimizer step: move the average towards the model."""
        self.steps += 1
        self.average.update(self.model, step=self.steps)

    def state(self) -> dict:
        """What a checkpoint keeps to resume the average."""
        return {"ema": cpu_state(self.module), "ema_steps": self.steps}

    def restore(self, checkpoint: dict) -> None:
        """Resume from a checkpoint; one written without an average starts it at the model's restored weights."""
        self.module.load_state_dict(checkpoint.get("ema", self.model.state_dict()))
        self.steps = checkpoint.get("ema_steps", 0)
