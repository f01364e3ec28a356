"""LeNet-5 (LeCun et al., 1998), the course's first CNN, with ReLU and max-pooling."""

from __future__ import annotations

import torch
from torch import nn


class LeNet5(nn.Module):
    """conv(6@5×5) → pool → conv(16@5×5) → pool → fc 120 → fc 84 → classifier.

    The first convolution pads by 2 (as for 28×28 MNIST) and an adaptive pool fixes the
    flattened size at 16×5×5, so any input from 12 px up works.
    """

    def __init__(self, num_classes: int = 10, in_chans: int = 3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_chans, 6, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(5),
        )
        self.pre_logits = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(inplace=True),
            nn.Linear(120, 84),
            nn.ReLU(inplace=True),
        )
        self.classifier = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pre_logits(self.features(x)))
