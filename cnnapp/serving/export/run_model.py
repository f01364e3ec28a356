"""What every export format starts from: the run's trained model and one description of its preprocessing.

Kept apart so that the ONNX file, the model folder and its card describe the same input and cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from cnnapp import workspace
from cnnapp.models.registry import ModelSpec, get_spec
from cnnapp.runs import RunDir, get_run
from cnnapp.serving.inference import trained_model

INTERPOLATION = "bilinear"
RESIZE = "resize the shorter side to img_size (bilinear), then centre-crop img_size×img_size"


@dataclass
class RunModel:
    """A run's trained model (fp32, eval mode, CPU) with what is needed to describe it."""

    run: RunDir
    model: nn.Module
    spec: ModelSpec
    classes: list[str]
    img_size: int
    config: dict


def load_run_model(run: RunDir | str | Path) -> RunModel:
    """The run's trained model (see `cnnapp.serving.inference.trained_model`) with what export needs to know."""
    run = run if isinstance(run, RunDir) else get_run(run, allow_paths=True)
    model, cfg, classes = trained_model(run)
    return RunModel(run, model, get_spec(cfg["arch"]), classes, int(cfg["img_size"]), cfg)


def default_out(run: RunDir, fmt: str, root: Path | None = None) -> Path:
    """`<workspace>/exports/<run_id>-<format>`."""
    return (root or workspace.home()) / "exports" / f"{run.id}-{fmt}"
