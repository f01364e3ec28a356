"""Prediction from a trained run or from an ImageNet-pretrained architecture, with a bounded model cache.

Concurrent predictions with one model share forward passes: each caller decodes its own picture (and
gets its own errors), then `Batcher` runs whatever pictures are waiting for that model, up to
`MAX_BATCH`, in one pass, and hands each caller its rows.
"""

from __future__ import annotations

import copy
import io
import json
import threading
import warnings
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import nn

from cnnapp import hardware, settings
from cnnapp.data.images import describe_error, fit_square, load_rgb, to_rgb
from cnnapp.data.transforms import BatchPrep, prepare_arrays
from cnnapp.errors import DataError, RunError
from cnnapp.messages import msg
from cnnapp.models.factory import create_model
from cnnapp.models.pretrained import imagenet_model
from cnnapp.models.registry import ModelSpec, get_spec
from cnnapp.runs import INGEST, PREDICTIONS, RunDir, get_run

IMAGENET_PREFIX = "imagenet:"
MAX_BATCH = 16  # pictures in one shared forward pass (the app serves this many predictions at once)
CHECK_IMAGES = 64  # validation images in the check batch that decides the serving precision (two passes at load)
# the most a probability may move under bf16 autocast (on the check batch) for a model to be served in bf16: where
# it moves more, images whose top two classes are that close flip. Measured on 2,000 held-out Fashion-MNIST images,
# 1-epoch LeNet-5s whose probabilities moved 0.0012-0.0025 flipped 2-9 of them (0.1-0.45%) under bf16; with 32 check
# images and 0.001, one such model passed and flipped 1 of 200 held-out images (the goal: at most 0.5%)
BF16_TOLERANCE = 0.0005
ImageInput = str | Path | BinaryIO | Image.Image | np.ndarray


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
        if isinstance(image, (str, Path, io.IOBase)):  # a file's path, or the file itself (an HTTP upload)
            im = load_rgb(image, draft_size=size)
        elif isinstance(image, np.ndarray):
            if image.ndim not in (2, 3) or image.size == 0:
                raise DataError(msg("image.bad_array"))
            im = to_rgb(Image.fromarray(image.astype(np.uint8) if image.dtype != np.uint8 else image))
        elif isinstance(image, Image.Image):
            im = to_rgb(ImageOps.exif_transpose(image))
        else:
            raise DataError(msg("image.cannot_read", kind=type(image).__name__))
        return np.asarray(fit_square(im, size), dtype=np.uint8)
    except DataError:
        raise
    except Exception as exc:  # a decoder failure is this image's problem
        raise DataError(msg("image.corrupt", problem=describe_error(exc))) from None


def trained_model(run: RunDir) -> tuple[nn.Module, dict, list[str]]:
    """A run's model (fp32, CPU, eval mode) with its best weights, or its last checkpoint when it stopped
    before saving any; with the run's config and classes. Raises RunError when there is nothing to load."""
    cfg, classes = run.config(), run.labels()
    if not cfg or not classes:
        raise RunError(msg("runs.untrained", run=run.id))
    state = run.load_state()
    model = create_model(cfg["arch"], len(classes))
    model.load_state_dict(state)
    return model.float().eval(), cfg, classes


def check_arrays(run: RunDir | None, size: int) -> np.ndarray:
    """The check batch (n, size, size, 3) uint8: up to `CHECK_IMAGES` of the run's validation images that can still be
    read, else a fixed sample (seeded noise; an ImageNet model has no validation images here)."""
    import pandas as pd

    arrays = []
    if run is not None and run.file(PREDICTIONS).is_file() and run.file(INGEST).is_file():
        root = Path(json.loads(run.file(INGEST).read_text()).get("root") or "")
        for rel in pd.read_csv(run.file(PREDICTIONS))["path"].head(CHECK_IMAGES):
            try:
                arrays.append(to_square_array(root / rel, size))
            except DataError:  # moved or deleted since the training: checked with the others
                continue
    if not arrays:
        return np.random.default_rng(0).integers(0, 256, (8, size, size, 3), dtype=np.uint8)
    return np.stack(arrays)


@torch.inference_mode()
def bf16_agrees(model: nn.Module, x: torch.Tensor) -> bool:
    """Whether `model` under bf16 autocast gives fp32's top-1 on every image of the prepared batch `x`, with every
    probability within `BF16_TOLERANCE`.

    bf16 keeps 8 bits of mantissa: a model whose top classes are that close answers otherwise than its fp32 export
    (a 1-epoch ResNet-18 on digits: 193 of 200 held-out images alike).
    """
    fp32 = model(x).float().softmax(1)
    with hardware.autocast(x.device, True):
        bf16 = model(x).float().softmax(1)
    same_top1 = bool((fp32.argmax(1) == bf16.argmax(1)).all())
    return same_top1 and float((fp32 - bf16).abs().max()) <= BF16_TOLERANCE


def serving_precision(model: nn.Module, spec: ModelSpec, img_size: int, run: RunDir | None) -> str:
    """`bf16` or `fp32`: what `Predictor` serves `model` (of `run`, with its precision option) in; the model card
    states it."""
    device = hardware.pick_device("auto")
    if not hardware.use_bf16((run.config() if run else {}).get("precision", "auto"), device, training=False):
        return "fp32"
    x = prepare_arrays(check_arrays(run, img_size), BatchPrep(spec.mean, spec.std, device))
    return "bf16" if bf16_agrees(copy.deepcopy(model).to(device).eval(), x) else "fp32"  # `model` stays where it is


@dataclass(eq=False)
class _Request:
    arrays: np.ndarray  # (n, H, W, 3) uint8
    probs: torch.Tensor | None = None
    error: BaseException | None = None
    done: bool = False


class Batcher:
    """Runs `forward` over the pictures of concurrent callers together, at most `max_batch` at a time.

    A caller waits while another runs a pass; whoever is free and not yet served runs the next one over
    every request waiting (oldest first). A failing pass fails the requests in it. One per model, rather than
    gradio's `batch=True`, which batches one event's calls whatever their model: the API, the Predict tab and the
    live camera are different events over the same models.
    """

    def __init__(self, forward: Callable[[np.ndarray], torch.Tensor], max_batch: int = MAX_BATCH):
        self.forward = forward
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._waiting: deque[_Request] = deque()
        self._busy = False

    def __call__(self, arrays: np.ndarray) -> torch.Tensor:
        """Probabilities for `arrays` (n, H, W, 3), computed in a pass shared with other callers."""
        request = _Request(arrays)
        with self._cond:
            self._waiting.append(request)
            while not request.done:
                if self._busy:
                    self._cond.wait()
                    continue
                self._busy = True
                batch = self._take()
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    for served in batch:
                        served.done = True
                    self._busy = False
                    self._cond.notify_all()
        if request.error is not None:
            raise request.error
        return request.probs

    def _take(self) -> list[_Request]:
        batch, size = [], 0
        while self._waiting and (not batch or size + len(self._waiting[0].arrays) <= self.max_batch):
            batch.append(self._waiting.popleft())
            size += len(batch[-1].arrays)
        return batch

    def _run(self, batch: list[_Request]) -> None:
        try:
            probs = self.forward(np.concatenate([r.arrays for r in batch]))
        except Exception as exc:  # every caller in the pass gets the error
            for request in batch:
                request.error = exc
            return
        start = 0
        for request in batch:
            request.probs, start = probs[start : start + len(request.arrays)], start + len(request.arrays)


_TRACING = threading.Lock()  # one trace at a time: TorchScript names the classes it compiles from shared counters


def fast_path(model: nn.Module, example: torch.Tensor) -> torch.jit.ScriptModule | None:
    """`model` traced and frozen (BatchNorm folded into the convolutions), or None where that fails or gives other
    answers than the model (checked on a batch of another size than the trace's).

    The traced model runs its layers without the Python interpreter between them. In a server whose other threads
    (HTTP, queue) hold the interpreter, an eager forward waits for it at every layer. Measured on 2 cores, Lite0 at
    96 px, with one other thread running Python: a batch of 15 took 76 ms traced against 2.1 s eager; alone, 16.6 ms
    against 34.2 ms. (TorchScript is deprecated in favour of torch.compile, which needs a compiler and minutes of
    compilation on a CPU: not an option for a model loaded on a visitor's first prediction.)
    """
    try:
        with _TRACING, warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # its deprecation notice, and tracer warnings: the answers are checked
            fast = torch.jit.freeze(torch.jit.trace(model, example, check_trace=False))
            check = torch.randn((2, *example.shape[1:]), generator=torch.Generator().manual_seed(0))
            check = check.to(example.device).contiguous(memory_format=torch.channels_last)
            expected, got = model(check).float(), fast(check).float()
    except Exception:  # any model tracing cannot handle keeps the eager forward
        return None
    scale = float(expected.abs().max()) or 1.0
    return fast if got.shape == expected.shape and torch.allclose(got, expected, rtol=1e-3, atol=1e-3 * scale) else None


class Predictor:
    """A model in eval mode with its classes and input preparation; thread-safe `predict`.

    It runs under bf16 autocast only where `hardware.use_bf16` allows it and the model's answers on `check` (images,
    see `check_arrays`) are fp32's (`bf16_agrees`), so that served answers are the exported (fp32) model's.
    """

    _starting = threading.Lock()  # `speed_up_later` starts one thread per predictor

    def __init__(
        self,
        model: nn.Module,
        spec: ModelSpec,
        classes: list[str],
        img_size: int,
        name: str,
        precision: str = "auto",
        check: np.ndarray | None = None,
    ):
        self.device = hardware.pick_device("auto")
        self.model = model.to(self.device).to(memory_format=torch.channels_last).eval()
        self.spec = spec
        self.classes = classes
        self.img_size = img_size
        self.name = name
        self.prep = BatchPrep(spec.mean, spec.std, self.device, channels_last=True)
        self.bf16 = hardware.use_bf16(precision, self.device, training=False) and bf16_agrees(
            self.model, prepare_arrays(check_arrays(None, img_size) if check is None else check, self.prep)
        )
        self._lock = threading.Lock()
        self.batcher = Batcher(lambda arrays: self.forward(prepare_arrays(arrays, self.prep)))
        tensors = [*self.model.parameters(), *self.model.buffers()]
        self._weight_bytes = sum(t.numel() * t.element_size() for t in tensors)
        self._fast: torch.jit.ScriptModule | None = None
        self._speeding_up = False
        self._example = torch.zeros(1, 3, img_size, img_size, device=self.device)
        self._example = self._example.contiguous(memory_format=torch.channels_last)
        self.forward(self._example)

    @classmethod
    def from_run(cls, run: RunDir) -> Predictor:
        """The run's best weights (or its last checkpoint when it stopped early)."""
        model, cfg, classes = trained_model(run)
        size = int(cfg["img_size"])
        check = check_arrays(run, size)
        return cls(model, get_spec(cfg["arch"]), classes, size, run.id, cfg.get("precision", "auto"), check)

    @classmethod
    def imagenet(cls, arch: str) -> Predictor:
        """The architecture's ImageNet classifier, no training."""
        spec = get_spec(arch)
        return cls(imagenet_model(spec), spec, imagenet_labels(), spec.input_size, IMAGENET_PREFIX + arch)

    @property
    def nbytes(self) -> int:
        """The memory its weights take (twice, once the fast path holds its folded copy)."""
        return self._weight_bytes * (1 if self._fast is None else 2)

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Probabilities for a prepared batch (on the fast path once `speed_up` has made it)."""
        model = self.model if self._fast is None else self._fast
        with self._lock, hardware.autocast(self.device, self.bf16):
            hardware.use_inference_threads()
            return model(x).float().softmax(1).cpu()

    def speed_up(self) -> None:
        """Make the fast path (`fast_path`, about a second) and use it from then on; the server does this for the
        models it keeps loaded, in the background (`speed_up_later`)."""
        self._speeding_up = True  # made once: `speed_up_later` has nothing left to do
        self._fast = fast_path(self.model, self._example)

    def speed_up_later(self) -> None:
        """`speed_up` in a background thread, once: predictions keep coming from the model meanwhile."""
        with Predictor._starting:
            if self._speeding_up:
                return
            self._speeding_up = True
        threading.Thread(target=self.speed_up, daemon=True, name=f"speed-up {self.name}").start()

    def predict(self, images: Sequence[ImageInput], top_k: int = 5) -> list[list[tuple[str, float]]]:
        """Top-k (label, probability) pairs per image, best first (in passes shared with concurrent callers)."""
        k = max(1, min(int(top_k), len(self.classes)))
        out: list[list[tuple[str, float]]] = []
        for i in range(0, len(images), MAX_BATCH):
            arrays = np.stack([to_square_array(img, self.img_size) for img in images[i : i + MAX_BATCH]])
            values, indices = self.batcher(arrays).topk(k, dim=1)
            out += [
                [(self.classes[j], float(v)) for v, j in zip(vs.tolist(), js.tolist())]
                for vs, js in zip(values, indices)
            ]
        return out


class ModelCache:
    """Loaded predictors by model name, least recently used dropped first: at most `CNNAPP_MODEL_CACHE`
    of them, together within `CNNAPP_MODEL_CACHE_MEMORY` (the newest is kept whatever its size). A model
    is loaded once however many callers ask for it at the same time, and again when its weights change."""

    def __init__(self):
        self._lock = threading.Lock()
        self._models: OrderedDict[str, tuple[float, Predictor]] = OrderedDict()
        self._loading: dict[str, threading.Lock] = {}

    def get(self, key: str, stamp: float, load: Callable[[], Predictor]) -> Predictor:
        """The predictor `key` with weights of `stamp`, loaded with `load()` unless cached."""
        with self._lock:
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                cached = self._models.get(key)
                if cached is not None and cached[0] == stamp:
                    self._models.move_to_end(key)
                    self._evict()  # the bounds may have changed since
                    return cached[1]
            predictor = load()
            with self._lock:
                self._models[key] = (stamp, predictor)
                self._models.move_to_end(key)
                self._evict()
            return predictor

    def _evict(self) -> None:
        limits = settings.get()
        while len(self._models) > 1 and (
            len(self._models) > limits.model_cache
            or sum(p.nbytes for _, p in self._models.values()) > limits.model_cache_memory
        ):
            self._models.popitem(last=False)

    def names(self) -> list[str]:
        """The cached model names, least recently used first."""
        with self._lock:
            return list(self._models)

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


MODELS = ModelCache()


def _load(key: str) -> Predictor:
    if key.startswith(IMAGENET_PREFIX):
        return Predictor.imagenet(key.removeprefix(IMAGENET_PREFIX))
    return Predictor.from_run(RunDir(key))


def load_predictor(model: str, root: Path | None = None, allow_paths: bool = False) -> Predictor:
    """A cached predictor for `imagenet:<arch>`, a run id, or (with `allow_paths`) a run directory."""
    model = str(model).strip()
    if model.startswith(IMAGENET_PREFIX):
        get_spec(model.removeprefix(IMAGENET_PREFIX))
        return MODELS.get(model, 0.0, lambda: _load(model))
    run = get_run(model, root, allow_paths=allow_paths)
    key = str(run.path.resolve())
    return MODELS.get(key, run.weights_stamp(), lambda: _load(key))
