"""Prediction from a trained run or from an ImageNet-pretrained architecture, with a model cache."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import nn

from cnnapp import hardware
from cnnapp.errors import DataError, RunError
from cnnapp.images import describe_error, fit_square, load_rgb, to_rgb
from cnnapp.models import create_model
from cnnapp.pretrained import imagenet_model
from cnnapp.registry import ModelSpec, get_spec
from cnnapp.runs import RunDir, get_run
from cnnapp.transforms import BatchPrep, prepare_arrays

IMAGENET_PREFIX = "imagenet:"
ImageInput = str | Path | Image.Image | np.ndarray


def imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k class names (shipped with timm)."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return [info.index_to_description(i) for i in range(1000)]


def to_square_array(image: ImageInput, size: int) -> np.ndarray:
    """Any supported image input → (size, size, 3) uint8, exactly as validation images are prepared.

    Raises DataError for anything that cannot be decoded, whatever the decoder raised.
    """
    try:
        if isinstance(image, (str, Path)):
            im = load_rgb(image, draft_size=size)
        elif isinstance(image, np.ndarray):
            if image.ndim not in (2, 3) or image.size == 0:
                raise DataError("the image array must be H×W or H×W×C")
            im = to_rgb(Image.fromarray(image.astype(np.uint8) if image.dtype != np.uint8 else image))
        elif isinstance(image, Image.Image):
            im = to_rgb(ImageOps.exif_transpose(image))
        else:
            raise DataError(f"cannot read an image from {type(image).__name__}")
        return np.asarray(fit_square(im, size), dtype=np.uint8)
    except DataError:
        raise
    except Exception as exc:  # a decoder failure is this image's problem
        raise DataError(f"truncated or corrupt image ({describe_error(exc)})") from None


def trained_model(run: RunDir) -> tuple[nn.Module, dict, list[str]]:
    """A run's model (fp32, CPU, eval mode) with its best weights, or its last checkpoint when it stopped
    before saving any; with the run's config and classes. Raises RunError when there is nothing to load."""
    cfg, classes = run.config(), run.labels()
    if not cfg or not classes:
        raise RunError(f"run {run.id} has no trained model yet (config or labels missing); train it first")
    state = run.load_state()
    model = create_model(cfg["arch"], len(classes))
    model.load_state_dict(state)
    return model.float().eval(), cfg, classes


class Predictor:
    """A model in eval mode with its classes and input preparation; thread-safe `predict`."""

    def __init__(
        self, model: nn.Module, spec: ModelSpec, classes: list[str], img_size: int, name: str, precision: str = "auto"
    ):
        self.device = hardware.pick_device("auto")
        self.bf16 = hardware.use_bf16(precision, self.device, training=False)
        self.model = model.to(self.device).to(memory_format=torch.channels_last).eval()
        self.spec = spec
        self.classes = classes
        self.img_size = img_size
        self.name = name
        self.prep = BatchPrep(spec.mean, spec.std, self.device, channels_last=True)
        self._lock = threading.Lock()
        self.forward(
            torch.zeros(1, 3, img_size, img_size, device=self.device).contiguous(memory_format=torch.channels_last)
        )

    @classmethod
    def from_run(cls, run: RunDir) -> Predictor:
        """The run's best weights (or its last checkpoint when it stopped early)."""
        model, cfg, classes = trained_model(run)
        return cls(model, get_spec(cfg["arch"]), classes, int(cfg["img_size"]), run.id, cfg.get("precision", "auto"))

    @classmethod
    def imagenet(cls, arch: str) -> Predictor:
        """The architecture's ImageNet classifier, no training."""
        spec = get_spec(arch)
        return cls(imagenet_model(spec), spec, imagenet_labels(), spec.input_size, IMAGENET_PREFIX + arch)

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Probabilities for a prepared batch."""
        with self._lock, hardware.autocast(self.device, self.bf16):
            return self.model(x).float().softmax(1).cpu()

    def predict(
        self, images: Sequence[ImageInput], top_k: int = 5, batch_size: int = 32
    ) -> list[list[tuple[str, float]]]:
        """Top-k (label, probability) pairs per image, best first."""
        k = max(1, min(int(top_k), len(self.classes)))
        out: list[list[tuple[str, float]]] = []
        for i in range(0, len(images), batch_size):
            arrays = [to_square_array(img, self.img_size) for img in images[i : i + batch_size]]
            probs = self.forward(prepare_arrays(arrays, self.prep))
            values, indices = probs.topk(k, dim=1)
            out += [
                [(self.classes[j], float(v)) for v, j in zip(vs.tolist(), js.tolist())]
                for vs, js in zip(values, indices)
            ]
        return out


@functools.lru_cache(maxsize=4)
def _cached(key: str, stamp: float) -> Predictor:
    if key.startswith(IMAGENET_PREFIX):
        return Predictor.imagenet(key.removeprefix(IMAGENET_PREFIX))
    return Predictor.from_run(RunDir(key))


def load_predictor(model: str, root: Path | None = None, allow_paths: bool = False) -> Predictor:
    """A cached predictor for `imagenet:<arch>`, a run id, or (with `allow_paths`) a run directory."""
    model = str(model).strip()
    if model.startswith(IMAGENET_PREFIX):
        get_spec(model.removeprefix(IMAGENET_PREFIX))
        return _cached(model, 0.0)
    run = get_run(model, root, allow_paths=allow_paths)
    return _cached(str(run.path.resolve()), run.weights_stamp())
