"""The model factory and the uniform backbone/head API used by training, inference and explain."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from cnnapp.models.pretrained import imagenet_model, load_backbone
from cnnapp.models.registry import ModelSpec, build, get_spec


def head_of(model: nn.Module, spec: ModelSpec) -> nn.Module:
    """The final classification layer (replaced for a new dataset's classes)."""
    return model.get_submodule(spec.head)


def replace_head(model: nn.Module, spec: ModelSpec, num_classes: int) -> None:
    """Swap the classifier for a freshly initialised one with `num_classes` outputs."""
    if spec.source == "timm":
        model.reset_classifier(num_classes)
        return
    old = head_of(model, spec)
    model.set_submodule(spec.head, nn.Linear(old.in_features, num_classes))


def create_model(arch: str, num_classes: int, pretrained: bool = False, weights: str | Path | None = None) -> nn.Module:
    """Build `arch` for `num_classes`: ImageNet backbone when `pretrained`, or one read from `weights`."""
    spec = get_spec(arch)
    if weights:
        model = build(spec, num_classes)
        load_backbone(model, spec.head, weights)
        return model
    if pretrained:
        model = imagenet_model(spec)
        replace_head(model, spec, num_classes)
        return model
    return build(spec, num_classes)


def split_params(model: nn.Module, spec: ModelSpec) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """(backbone parameters, head parameters)."""
    head_ids = {id(p) for p in head_of(model, spec).parameters()}
    backbone = [p for p in model.parameters() if id(p) not in head_ids]
    return backbone, list(head_of(model, spec).parameters())


def set_frozen(model: nn.Module, spec: ModelSpec, frozen: bool) -> None:
    """Freeze (or unfreeze) every backbone parameter; the head always trains."""
    backbone, head = split_params(model, spec)
    for p in backbone:
        p.requires_grad_(not frozen)
    for p in head:
        p.requires_grad_(True)


def set_train_mode(model: nn.Module, spec: ModelSpec, frozen: bool) -> None:
    """Training mode; a frozen backbone stays in eval mode (BatchNorm statistics fixed, no dropout)."""
    if frozen:
        model.eval()
        head_of(model, spec).train()
    else:
        model.train()


def count_trainable(model: nn.Module) -> int:
    """Parameters that currently receive gradients."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class FeatureTap:
    """Context manager capturing the head's input: the backbone's pre-logit features."""

    def __init__(self, model: nn.Module, spec: ModelSpec):
        self.head = head_of(model, spec)
        self.features: torch.Tensor | None = None
        self._handle = None

    def _hook(self, _module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        self.features = args[0]

    def __enter__(self) -> FeatureTap:
        self._handle = self.head.register_forward_pre_hook(self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.remove()
