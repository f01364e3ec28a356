"""What a CNN looks at: Grad-CAM heatmaps and the feature maps of its layers, for any registry model.

Layers are found with forward hooks on one probing pass, so the same code serves timm, torchvision and
cnnapp's LeNet-5: Grad-CAM uses the last module that still outputs a spatial (4-D) map before the
classifier; feature maps are offered for the stem and the last module at each resolution (the
course's "líneas y bordes → formas → objetos").
"""

from __future__ import annotations

import difflib
import functools
import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib import colormaps
from PIL import Image
from torch import nn
from torchvision.utils import make_grid

from cnnapp.data.transforms import prepare_arrays
from cnnapp.errors import ConfigError
from cnnapp.messages import msg
from cnnapp.models.factory import head_of
from cnnapp.serving.inference import ImageInput, Predictor, to_square_array


@dataclass(frozen=True)
class LayerInfo:
    """A module whose output is a spatial map: its name and output shape (channels, height, width)."""

    name: str
    channels: int
    height: int
    width: int

    @property
    def label(self) -> str:
        return f"{self.name} ({self.channels} × {self.height}×{self.width})"


def spatial_layers(model: nn.Module, head: nn.Module, x: torch.Tensor) -> list[LayerInfo]:
    """Every module run before `head` whose output is 4-D, in the order their outputs were completed."""
    found: list[LayerInfo] = []
    done = False
    thread = threading.get_ident()

    def record(name: str):
        def hook(module: nn.Module, _args: tuple, out: object) -> None:
            if not done and threading.get_ident() == thread and isinstance(out, torch.Tensor) and out.dim() == 4:
                found.append(LayerInfo(name, *out.shape[1:]))

        return hook

    def stop(*_: object) -> None:
        nonlocal done
        done = done or threading.get_ident() == thread

    handles = [m.register_forward_hook(record(n)) for n, m in model.named_modules() if n and m is not head]
    handles.append(head.register_forward_pre_hook(stop))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return found


def _maps(layers: list[LayerInfo]) -> list[LayerInfo]:
    """The channels-first spatial maps of a square input, along the path of shrinking resolution.

    Drops 1×1 maps (squeeze-excitation, global pooling), channels-last tensors inside blocks
    (e.g. ConvNeXt's N×H×W×C, not square in their last two dimensions) and maps larger than an earlier
    one (an adaptive pool that enlarges a tiny final map, like AlexNet's at small inputs).
    """
    out: list[LayerInfo] = []
    for layer in layers:
        if layer.height == layer.width > 1 and (not out or layer.height <= min(m.height for m in out)):
            out.append(layer)
    return out


def cam_layer(layers: list[LayerInfo]) -> LayerInfo:
    """Grad-CAM's target: the last spatial map before the classifier (the last completed, so after any activation)."""
    maps = _maps(layers) or [layer for layer in layers if layer.height == layer.width]
    if not maps:
        raise ConfigError(msg("explain.no_feature_map"))
    return maps[-1]


def feature_layers(layers: list[LayerInfo], max_depth: int = 2) -> list[LayerInfo]:
    """Layers worth showing, early to late: the stem and the last top-level module at each resolution."""
    maps = [layer for layer in _maps(layers) if layer.name.count(".") < max_depth]
    picked = maps[:1]
    for i, layer in enumerate(maps):
        if i + 1 == len(maps) or maps[i + 1].height != layer.height:
            picked.append(layer)
    return list(dict.fromkeys(picked))


class _Capture:
    """Forward hooks on named modules that keep their outputs.

    Each hook hands the rest of the network a clone, so later in-place operations (ReLU(inplace=True),
    `x += shortcut`) cannot alter what was captured. Hooks act only in the thread that made them, so a
    shared model can keep serving predictions elsewhere.
    """

    def __init__(self, model: nn.Module, names: list[str]):
        self.outputs: dict[str, torch.Tensor] = {}
        modules = dict(model.named_modules())
        missing = [n for n in names if n not in modules]
        if missing:
            raise ConfigError(msg("explain.unknown_layers", names=missing))
        thread = threading.get_ident()

        def hook(name: str):
            def fn(_module: nn.Module, _args: tuple, out: torch.Tensor) -> torch.Tensor | None:
                if threading.get_ident() != thread:
                    return None
                self.outputs[name] = out
                return out.clone()

            return fn

        self._handles = [modules[n].register_forward_hook(hook(n)) for n in names]

    def __enter__(self) -> _Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        for h in self._handles:
            h.remove()


def grad_cam(
    model: nn.Module, x: torch.Tensor, layer: str, class_index: int | None = None
) -> tuple[np.ndarray, torch.Tensor]:
    """Grad-CAM (Selvaraju et al., 2017) of one image batch `x` (1×3×H×W) at `layer`.

    Returns the heatmap (H×W, in [0, 1]) for `class_index` (default: the predicted class) and the
    class probabilities. Only the gradient of the class score with respect to the layer's output is
    computed (`torch.autograd.grad`): the parameters' `.grad` stay untouched.
    """
    was_training = model.training
    model.eval()
    try:
        with _Capture(model, [layer]) as cap, torch.enable_grad():
            logits = model(x.detach().float().requires_grad_(True)).float()
            target = int(logits.argmax(1)[0]) if class_index is None else int(class_index)
            (grads,) = torch.autograd.grad(logits[0, target], cap.outputs[layer])
    finally:
        model.train(was_training)
    acts = cap.outputs[layer].detach().float()
    weights = grads.float().mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * acts).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    top = cam.max()
    cam = cam / top if top > 0 else torch.zeros_like(cam)
    return cam.clamp(0, 1).cpu().numpy(), logits.detach().softmax(1)[0].cpu()


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.5, cmap: str = "jet") -> Image.Image:
    """The heatmap, coloured, blended over the image (both H×W)."""
    colored = colormaps[cmap](heatmap)[..., :3] * 255
    return Image.fromarray((alpha * colored + (1 - alpha) * image[..., :3].astype(np.float32)).round().astype(np.uint8))


@dataclass
class Explanation:
    """A Grad-CAM result: the image as the model saw it, the heatmap over it and the explained class."""

    image: np.ndarray
    heatmap: np.ndarray
    label: str
    prob: float
    layer: str

    @property
    def overlay(self) -> Image.Image:
        return overlay(self.image, self.heatmap)

    def side_by_side(self) -> Image.Image:
        """The input and its overlay next to each other."""
        h, w = self.heatmap.shape
        out = Image.new("RGB", (2 * w, h))
        out.paste(Image.fromarray(self.image), (0, 0))
        out.paste(self.overlay, (w, 0))
        return out


def _prepared(predictor: Predictor, image: ImageInput) -> tuple[np.ndarray, torch.Tensor]:
    array = to_square_array(image, predictor.img_size)
    return array, prepare_arrays([array], predictor.prep)


def model_layers(predictor: Predictor) -> list[LayerInfo]:
    """The spatial layers of a predictor's model at its input size."""
    x = torch.zeros(1, 3, predictor.img_size, predictor.img_size, device=predictor.device)
    return spatial_layers(predictor.model, head_of(predictor.model, predictor.spec), x)


def class_index(classes: list[str], name: str) -> int:
    """A class index by name, case-insensitively, or by a comma-separated synonym (ImageNet's "tabby, tabby cat")."""
    wanted = name.strip().lower()
    for i, label in enumerate(classes):
        if wanted == label.lower() or wanted in (part.strip().lower() for part in label.split(",")):
            return i
    close = difflib.get_close_matches(name, classes, n=3, cutoff=0.6)
    if close:
        names = functools.reduce(
            lambda first, c: msg("explain.or", first=first, second=repr(c)), close[1:], repr(close[0])
        )
        hint = msg("explain.did_you_mean", names=names)
    elif len(classes) <= 20:
        hint = msg("explain.classes_are", classes=list(classes))
    else:
        hint = msg("explain.class_count", count=len(classes))
    raise ConfigError(msg("explain.unknown_class", name=name, hint=hint))


def explain(
    predictor: Predictor, image: ImageInput, class_name: str | None = None, layer: str | None = None
) -> Explanation:
    """Grad-CAM for the predicted class (or `class_name`) at the last convolutional map (or `layer`)."""
    index = None if class_name is None else class_index(predictor.classes, class_name)
    array, x = _prepared(predictor, image)
    layer = layer or cam_layer(model_layers(predictor)).name
    heatmap, probs = grad_cam(predictor.model, x, layer, index)
    target = int(probs.argmax()) if index is None else index
    return Explanation(array, heatmap, predictor.classes[target], float(probs[target]), layer)


def activation_grid(act: torch.Tensor, max_channels: int = 16, tile: int = 64) -> Image.Image:
    """Up to `max_channels` channels of one C×H×W activation, most active first, each scaled to its range, as a grid."""
    act = act.detach().float().cpu()
    order = act.flatten(1).mean(1).argsort(descending=True)[:max_channels]
    maps = act[order][:, None]
    low, high = maps.amin(dim=(2, 3), keepdim=True), maps.amax(dim=(2, 3), keepdim=True)
    maps = (maps - low) / (high - low).clamp_min(1e-12)
    if maps.shape[-1] < tile:
        maps = F.interpolate(maps, scale_factor=max(1, tile // maps.shape[-1]), mode="nearest")
    grid = make_grid(maps, nrow=int(np.ceil(np.sqrt(len(maps)))), padding=2, pad_value=-1.0)[0].numpy()
    rgb = colormaps["viridis"](grid.clip(0, 1))[..., :3]
    rgb[grid < 0] = 1.0  # white gaps between the maps
    return Image.fromarray((rgb * 255).astype(np.uint8))


def feature_maps(
    predictor: Predictor, image: ImageInput, layers: list[str], max_channels: int = 16
) -> list[tuple[Image.Image, str]]:
    """For each named layer, a grid of its strongest activation maps for `image`, with a caption."""
    _, x = _prepared(predictor, image)
    with _Capture(predictor.model, layers) as cap, torch.no_grad():
        predictor.model(x.float())
    out = []
    for name in layers:
        act = cap.outputs[name][0]
        shown = min(max_channels, act.shape[0])
        out.append(
            (
                activation_grid(act, max_channels),
                f"{name}: {shown} of {act.shape[0]} maps, {act.shape[1]}×{act.shape[2]}",
            )
        )
    return out
