"""What a training's epochs achieved, as checkpoints carry it and the report sums it up: the epoch times, each
epoch's val balanced accuracy and macro-F1 (beside accuracy: unbalanced classes), the best epoch and its weights, and
early stopping (each stage's `Patience`, and where a stage stopped early).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch
from torch import nn

from cnnapp.messages import Message, msg
from cnnapp.runs import cpu_state


@dataclass
class Patience:
    """Early stopping within one stage (as Keras' `EarlyStopping` on val accuracy): the stage should stop once
    `epochs` epochs in a row have not beaten its best val accuracy so far. `epochs` 0 never stops."""

    epochs: int = 0
    best_acc: float = -1.0
    best_epoch: int = 0
    stale: int = 0

    def update(self, acc: float | None, epoch: int) -> bool:
        """Record epoch `epoch`'s val accuracy (None: no val images, nothing to watch); return whether to stop."""
        if acc is None:
            return False
        if acc > self.best_acc:
            self.best_acc, self.best_epoch, self.stale = acc, epoch, 0
        else:
            self.stale += 1
        return 0 < self.epochs <= self.stale

    def reason(self) -> Message:
        return msg("patience.stale_1" if self.epochs == 1 else "patience.stale", epochs=self.epochs)


@dataclass
class Record:
    """What the epochs so far achieved: their times, the best one (its accuracy, number, weights, and whether
    its backbone was frozen), the current stage's patience and the last early stop. Checkpoints carry it; the report
    sums it up."""

    epoch_seconds: list[float] = field(default_factory=list)
    epoch_scores: list[dict] = field(default_factory=list)  # per epoch with val: epoch, val balanced acc, macro-F1
    best_acc: float = -1.0
    best_epoch: int = 0
    best_state: dict[str, torch.Tensor] | None = None
    best_frozen: bool = False
    patience: Patience = field(default_factory=Patience)
    early_stopping: dict | None = None

    def keep_best(self, acc: float, epoch: int, model: nn.Module, frozen: bool) -> dict[str, torch.Tensor]:
        """Remember `model`'s weights as the best so far; return them."""
        self.best_state = {k: v.detach().clone().cpu() for k, v in model.state_dict().items()}
        self.best_acc, self.best_epoch, self.best_frozen = acc, epoch, frozen
        return self.best_state

    def score(self, epoch: int, scores: dict[str, float]) -> None:
        """Record an epoch's val scores (`Learner.val_scores`: balanced accuracy and macro-F1)."""
        self.epoch_scores.append({"epoch": epoch, **scores})

    def best_scores(self) -> dict[str, float]:
        """The best epoch's val scores (empty when it has none), for the run's status beside `best_val_acc`."""
        found = [s for s in self.epoch_scores if s["epoch"] == self.best_epoch]
        return {f"best_{k}": v for k, v in found[-1].items() if k != "epoch"} if found else {}

    def checkpoint(self, model: nn.Module, optimizer, scheduler, stage: int, epoch: int) -> dict:
        """What resuming needs: weights, optimizer and scheduler state, position (stage, epoch in it), record."""
        return {
            "model": cpu_state(model),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "stage": stage,
            "epoch": epoch,
            "best_acc": self.best_acc,
            "best_epoch": self.best_epoch,
            "epoch_seconds": self.epoch_seconds,
            "epoch_scores": self.epoch_scores,
            "patience": dataclasses.asdict(self.patience),
            "early_stopping": self.early_stopping,
        }

    def restore(self, checkpoint: dict, best_state: dict[str, torch.Tensor] | None) -> None:
        self.best_acc, self.best_epoch = checkpoint["best_acc"], checkpoint["best_epoch"]
        self.epoch_seconds = list(checkpoint["epoch_seconds"])
        self.epoch_scores = list(checkpoint.get("epoch_scores", []))  # older checkpoints: none kept
        self.best_state = best_state
        self.patience = dataclasses.replace(self.patience, **checkpoint.get("patience", {}))  # older: none kept
        self.early_stopping = checkpoint.get("early_stopping")

    def stalled(self, stage: str, epoch: int, val: tuple[float, float] | None, last: bool = False) -> Message | None:
        """Apply the stage's patience to an epoch's val (loss, accuracy); when it runs out before the stage's `last`
        epoch, record the early stop and return the log's line about it."""
        if not self.patience.update(None if val is None else val[1], epoch) or last:
            return None
        best, reason = self.patience.best_epoch, self.patience.reason()
        self.early_stopping = {"stage": stage, "epoch": epoch, "best_epoch": best, "reason": str(reason)}
        return msg("log.stopped_early", stage=msg(f"stage.{stage}"), reason=reason, best=self.best_epoch)

    def facts(self, model: nn.Module) -> dict:
        """The report's summary of the training."""
        facts = {
            "best_epoch": self.best_epoch,
            "epochs_run": len(self.epoch_seconds),
            "epoch_scores": self.epoch_scores,
            "train_seconds": round(sum(self.epoch_seconds), 2),
            "params": sum(p.numel() for p in model.parameters()),
        }
        return facts | ({"early_stopping": self.early_stopping} if self.early_stopping else {})
