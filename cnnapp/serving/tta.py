"""Test-time augmentation, as fastai's `Learner.tta`: predict each image several ways and average the softmax.

The views (`views`): the image itself, its horizontal flip, and its four corner crops of `CROP` of the side, each
resized back to the full size. A model that is unsure on one view is often sure on the others; the average smooths
the decision. fastai also lerps the average towards the plain prediction (`beta`); here every view counts the same.
The views are torchvision's functional transforms on the prepared (normalised) batch, so training, evaluation and
prediction share one preparation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torchvision.transforms.v2 import functional as F

from cnnapp.data.transforms import prepare_arrays
from cnnapp.serving.inference import ImageInput, Predictor, to_square_array

CROP = 0.9  # side of each corner crop, as a fraction of the image's


def views(batch: torch.Tensor, crop: float = CROP) -> list[torch.Tensor]:
    """The batch (N, C, H, W), its horizontal flip and its four corner crops (top-left, top-right, bottom-left,
    bottom-right) of `crop` of the side, resized back to H×W."""
    height, width = batch.shape[-2:]
    h, w = max(1, round(height * crop)), max(1, round(width * crop))
    corners = [(0, 0), (0, width - w), (height - h, 0), (height - h, width - w)]
    crops = [F.resized_crop(batch, top, left, h, w, [height, width], antialias=True) for top, left in corners]
    return [v.contiguous(memory_format=torch.channels_last) for v in [batch, F.horizontal_flip(batch), *crops]]


def tta_probs(model: Callable[[torch.Tensor], torch.Tensor], batch: torch.Tensor, crop: float = CROP) -> torch.Tensor:
    """The mean of `model`'s probabilities over the `views` of `batch` (N, classes).

    `model` maps a prepared batch to probabilities (e.g. `Predictor.forward`; for a bare network pass
    `lambda x: net(x).softmax(1)`).
    """
    with torch.inference_mode():
        return torch.stack([model(v).float() for v in views(batch, crop)]).mean(0)


def predict(predictor: Predictor, image: ImageInput, top_k: int = 5) -> list[tuple[str, float]]:
    """Top-k (label, probability) of one image with test-time augmentation, best first (as `Predictor.predict`)."""
    return predict_arrays(predictor, [to_square_array(image, predictor.img_size)], top_k)[0]


def predict_arrays(predictor: Predictor, arrays: list[np.ndarray], top_k: int = 5) -> list[list[tuple[str, float]]]:
    """Top-k (label, probability) of each square array (`to_square_array`) with test-time augmentation."""
    values, indices = probabilities(predictor, arrays).topk(max(1, min(int(top_k), len(predictor.classes))), dim=1)
    return [
        [(predictor.classes[j], float(v)) for v, j in zip(row_values, row_indices)]
        for row_values, row_indices in zip(values.tolist(), indices.tolist())
    ]


def probabilities(predictor: Predictor, arrays: list[np.ndarray], tta: bool = True) -> torch.Tensor:
    """Probabilities (len(arrays), classes) of square arrays, prepared as validation images are; averaged over the
    `views` with `tta`, else the plain forward pass."""
    batch = prepare_arrays(arrays, predictor.prep)
    return tta_probs(predictor.forward, batch) if tta else predictor.forward(batch)
