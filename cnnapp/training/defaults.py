"""The defaults that depend on the architecture and on how a training starts, decided here once for the Train form,
the CLI and `config.resolve`: nowhere else derives them.

Torch-free at import (the app's first page shows `FIRST_PAGE`); `defaults` asks the registry when called.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnapp.models import OFFLINE_ARCH

SMALL_IMG_SIZE = 96  # px, training from scratch: quick on a CPU
# px, starting from ImageNet weights: their features need more detail, and frozen they are computed once (cached).
# measured on the example (Lite0 frozen, 5 epochs, seeds 0–9): mean best validation 79% at 96 px, 83% at 128
PRETRAINED_IMG_SIZE = 128
LR_HEAD = 3e-3  # the head's learning rate (AdamW with the one-cycle schedule)
BACKBONE_DIVISOR = 10  # a backbone that starts from weights learns at the head's rate divided by this

__all__ = [
    "BACKBONE_DIVISOR",
    "FIRST_PAGE",
    "LR_HEAD",
    "OFFLINE_ARCH",
    "PRETRAINED_IMG_SIZE",
    "SMALL_IMG_SIZE",
    "Defaults",
    "defaults",
    "recommended_size",
]


@dataclass(frozen=True)
class Defaults:
    """What a training of one architecture takes for the settings left out (None in a TrainConfig)."""

    pretrained: bool  # ImageNet weights: when they can be loaded here and no weights file is given
    freeze: bool  # the backbone frozen: when it starts from weights (ImageNet's or a file's)
    img_size: int  # px
    lr_head: float
    lr_backbone: float  # weights need only nudging: the head's rate ÷ BACKBONE_DIVISOR, else the head's


def _starting(pretrained: bool, weights: str | None, img_size: int, lr_head: float) -> Defaults:
    """The defaults that follow from whether the backbone starts from weights."""
    from_weights = bool(pretrained or weights)
    lr_backbone = lr_head / BACKBONE_DIVISOR if from_weights else lr_head
    return Defaults(pretrained, from_weights, img_size, lr_head, lr_backbone)


def defaults(
    arch: str, pretrained: bool | None = None, weights: str | None = None, lr_head: float = LR_HEAD
) -> Defaults:
    """The defaults of `arch` given what is already chosen (`pretrained` None: the default; `lr_head`: the head's
    rate the backbone's follows). The image size is the architecture's own, at least its minimum, and at most
    `PRETRAINED_IMG_SIZE` px from ImageNet weights, `SMALL_IMG_SIZE` px from scratch: small inputs train quickly
    on a CPU and still suit the architecture. Raises ConfigError for an unknown architecture.
    """
    from cnnapp.models.registry import get_spec, pretrained_problem  # imports torch

    spec = get_spec(arch)
    if pretrained is None:
        pretrained = pretrained_problem(arch) is None and not weights
    cap = PRETRAINED_IMG_SIZE if pretrained else SMALL_IMG_SIZE
    return _starting(bool(pretrained), weights, max(spec.min_input_size, min(spec.input_size, cap)), lr_head)


def recommended_size(name: str, pretrained: bool | None = None) -> int:
    """The default image size of `name` (`pretrained` None: the default)."""
    return defaults(name, pretrained).img_size


# `defaults(OFFLINE_ARCH)` known without the registry (its ImageNet weights ship with cnnapp, its own size is above
# PRETRAINED_IMG_SIZE): what the first page shows before torch is loaded; a test checks the two agree
FIRST_PAGE = _starting(True, None, PRETRAINED_IMG_SIZE, LR_HEAD)
