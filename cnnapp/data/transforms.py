"""Augmentation specs → albumentations pipelines, and batch normalisation on the device."""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np
import torch

from cnnapp.errors import ConfigError
from cnnapp.messages import Message, msg

PRESETS = {
    "none": "",
    "light": "hflip,crop",
    "medium": "hflip,crop,rotate,color",
    "strong": "hflip,vflip,crop,rotate,color,hue,noise,gray",
}

# name: (default value, meaning of the value, builder taking (value, size))
AUGMENTATIONS = {
    "crop": (0.7, lambda v, s: A.RandomResizedCrop(size=(s, s), scale=(v, 1.0), p=1.0)),
    "hflip": (0.5, lambda v, s: A.HorizontalFlip(p=v)),
    "vflip": (0.5, lambda v, s: A.VerticalFlip(p=v)),
    "rotate": (15.0, lambda v, s: A.Rotate(limit=v, border_mode=cv2.BORDER_REFLECT_101, p=0.7)),
    "noise": (0.05, lambda v, s: A.GaussNoise(std_range=(0.0, v), p=0.5)),
    "color": (
        0.2,
        lambda v, s: A.RandomBrightnessContrast(brightness_limit=v, contrast_limit=v, p=0.7),
    ),
    "hue": (
        10.0,
        lambda v, s: A.HueSaturationValue(hue_shift_limit=v, sat_shift_limit=2 * v, val_shift_limit=0, p=0.5),
    ),
    "gray": (0.1, lambda v, s: A.ToGray(p=v)),
}


def parse_augment(spec: str) -> list[tuple[str, float]]:
    """`"hflip,rotate=20,noise"` or a preset name → [(name, value), ...]. Raises ConfigError."""
    text = PRESETS.get(spec.strip().lower(), spec) if spec else ""
    steps = []
    for token in filter(None, (t.strip().lower() for t in text.split(","))):
        name, _, raw = token.partition("=")
        if name not in AUGMENTATIONS:
            raise ConfigError(msg("augment.unknown", name=name, presets=list(PRESETS), names=list(AUGMENTATIONS)))
        try:
            value = float(raw) if raw else AUGMENTATIONS[name][0]
        except ValueError:
            raise ConfigError(msg("augment.needs_number", token=token)) from None
        if value < 0:
            raise ConfigError(msg("augment.negative", token=token))
        steps.append((name, value))
    return steps


def build_augment(spec: str | list[tuple[str, float]], size: int, seed: int | None = None) -> A.Compose | None:
    """The albumentations pipeline for a spec or its `parse_augment` steps (uint8 HWC in, uint8 HWC out), or None
    for no augmentation."""
    steps = parse_augment(spec) if isinstance(spec, str) else spec
    if not steps:
        return None
    return A.Compose([AUGMENTATIONS[name][1](value, size) for name, value in steps], seed=seed)


def describe_augment(spec: str) -> Message:
    """A readable summary of a spec (a message: `str()` is the English, a page says it in its language)."""
    steps = [
        msg("augment.step", name=n, meaning=msg(f"augment.meaning.{n}"), value=f"{v:g}") for n, v in parse_augment(spec)
    ]
    return msg("augment.list", steps=steps) if steps else msg("augment.none")


class BatchPrep:
    """uint8 NHWC batches → normalised float NCHW on the device (channels_last memory when asked)."""

    def __init__(
        self, mean: tuple[float, ...], std: tuple[float, ...], device: torch.device, channels_last: bool = True
    ):
        self.device = device
        self.channels_last = channels_last
        self.mean = torch.tensor(mean, device=device).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(std, device=device).view(1, 3, 1, 1) * 255

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = images.to(self.device, non_blocking=True).permute(0, 3, 1, 2).float()
        x.sub_(self.mean).div_(self.std)
        if not self.channels_last:
            return x.contiguous()
        return x.contiguous(memory_format=torch.channels_last)


def prepare_arrays(arrays: list[np.ndarray] | np.ndarray, prep: BatchPrep) -> torch.Tensor:
    """Stack square uint8 HWC arrays and normalise them as one batch."""
    return prep(torch.from_numpy(np.ascontiguousarray(np.stack(list(arrays)))))
