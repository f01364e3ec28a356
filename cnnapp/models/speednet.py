"""SpeedNet: a small BatchNorm + ReLU network for the full-size speedrun on small grey images (Fashion-MNIST).

Airbench's lesson (Keller Jordan, 2024) at CPU scale: a narrow, shallow VGG-style net with BatchNorm, max-pooling
early (most of the compute of a CNN is in its first, full-resolution layers) and a global max-pool head trains to a
good accuracy in a handful of epochs with a one-cycle schedule, where generic deep recipes need an order of magnitude
more compute.
"""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int, pool: bool) -> nn.Sequential:
    """conv 3×3 → BatchNorm → ReLU (→ 2×2 max-pool)."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class SpeedNet(nn.Module):
    """conv 32 → pool → conv 64 ×2 → pool → conv 128 ×2 → pool → global max-pool → linear.

    At 28 px about 16 M multiply-adds per image (ResNet-18 at 224 px: 1.8 G); any input from 8 px up works.
    """

    def __init__(self, num_classes: int = 10, in_chans: int = 3, width: int = 32):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            _block(in_chans, w, pool=True),
            _block(w, 2 * w, pool=False),
            _block(2 * w, 2 * w, pool=True),
            _block(2 * w, 4 * w, pool=False),
            _block(4 * w, 4 * w, pool=True),
            nn.AdaptiveMaxPool2d(1),
        )
        self.pre_logits = nn.Flatten()
        self.classifier = nn.Linear(4 * w, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pre_logits(self.features(x)))
