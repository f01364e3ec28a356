"""The defaults that depend on the architecture, decided here once for the Train form, the CLI and `config.resolve`.

Torch-free at import (the app's first page reads the sizes); the functions ask the registry when called.
"""

from __future__ import annotations

from cnnapp.models import OFFLINE_ARCH

SMALL_IMG_SIZE = 96  # px, training from scratch: quick on a CPU
# px, starting from ImageNet weights: their features need more detail, and frozen they are computed once (cached).
# measured on the example (Lite0 frozen, 5 epochs, seeds 0–9): mean best validation 79% at 96 px, 83% at 128
PRETRAINED_IMG_SIZE = 128

__all__ = ["OFFLINE_ARCH", "PRETRAINED_IMG_SIZE", "SMALL_IMG_SIZE", "recommended_size"]


def recommended_size(name: str, pretrained: bool | None = None) -> int:
    """The default image size (app and CLI): the architecture's own, at least its minimum, and at most
    `PRETRAINED_IMG_SIZE` px when it starts from ImageNet weights, `SMALL_IMG_SIZE` px when it trains from scratch
    (`pretrained` None: whether it has weights here).

    Small inputs train quickly on a CPU and still suit the architecture.
    """
    from cnnapp.models.registry import get_spec, pretrained_problem  # imports torch

    spec = get_spec(name)
    if pretrained is None:
        pretrained = pretrained_problem(name) is None
    return max(spec.min_input_size, min(spec.input_size, PRETRAINED_IMG_SIZE if pretrained else SMALL_IMG_SIZE))
