"""ONNX export: `model.onnx`, fp32, a dynamic batch axis, the run's classes and preprocessing in its metadata.

Input `input`: float32 NCHW `[batch, 3, S, S]`, already prepared (RGB, shorter side resized to S with bilinear
filtering, centre-cropped to S×S, scaled to [0, 1], normalised with the run's mean/std). Output `probabilities`:
`[batch, classes]`, softmax already applied. Labels, normalisation and preprocessing are in the model's
metadata_props. Exported with PyTorch's TorchScript-based exporter (`dynamo=False`): it needs only the `onnx`
package (the dynamo exporter also needs `onnxscript`), it is fast, and it handles every registry architecture once
adaptive pooling with a non-divisible output (AlexNet below 224 px, LeNet-5 at other than 28 px) is rewritten as the
identical fixed averaging (two small matrix products).

This module is named after the format; `import onnx` in it is absolute, so it is the third-party package.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from pathlib import Path

import torch
from torch import nn

import cnnapp
from cnnapp.errors import CnnappError, ExportError
from cnnapp.files import atomic_write
from cnnapp.runs import RunDir
from cnnapp.serving.export.run_model import INTERPOLATION, RESIZE, RunModel, default_out, load_run_model

ONNX_OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"


def _averaging_matrix(size: int, out: int) -> torch.Tensor:
    """(out, size) weights reproducing adaptive average pooling along one axis exactly."""
    m = torch.zeros(out, size)
    for i in range(out):
        start, end = (i * size) // out, math.ceil((i + 1) * size / out)
        m[i, start:end] = 1.0 / (end - start)
    return m


class FixedAdaptiveAvgPool2d(nn.Module):
    """`AdaptiveAvgPool2d` for one known input size, as `P_h @ x @ P_wᵀ` (exportable for any output size)."""

    def __init__(self, in_hw: tuple[int, int], out_hw: tuple[int, int]):
        super().__init__()
        self.register_buffer("ph", _averaging_matrix(in_hw[0], out_hw[0]))
        self.register_buffer("pwt", _averaging_matrix(in_hw[1], out_hw[1]).t().contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(torch.matmul(self.ph, x), self.pwt)


def _pair(value: int | tuple | None, like: tuple[int, int]) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return tuple(like[i] if v is None else v for i, v in enumerate(value))  # type: ignore[return-value]


def fix_adaptive_pools(model: nn.Module, img_size: int) -> int:
    """Replace adaptive average pools whose output does not divide their input (at `img_size`); return how many."""
    seen: dict[str, tuple[int, int]] = {}

    def recorder(name: str):
        def hook(_module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            seen.setdefault(name, tuple(args[0].shape[-2:]))

        return hook

    pools = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
    hooks = [m.register_forward_pre_hook(recorder(name)) for name, m in model.named_modules() if isinstance(m, pools)]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, img_size, img_size))
    finally:
        for h in hooks:
            h.remove()
    replaced = 0
    for name, in_hw in seen.items():
        module = model.get_submodule(name)
        out_hw = _pair(module.output_size, in_hw)
        if all(i % o == 0 for i, o in zip(in_hw, out_hw)):
            continue
        if isinstance(module, nn.AdaptiveMaxPool2d):
            raise ExportError(
                f"adaptive max pooling from {in_hw} to {out_hw} cannot be exported to ONNX; try another --img-size"
            )
        model.set_submodule(name, FixedAdaptiveAvgPool2d(in_hw, out_hw))
        replaced += 1
    return replaced


def onnx_metadata(rm: RunModel) -> dict[str, str]:
    """The metadata_props written into the ONNX file."""
    return {
        "cnnapp_version": cnnapp.__version__,
        "run_id": rm.run.id,
        "arch": rm.spec.name,
        "labels": json.dumps(rm.classes, ensure_ascii=False),
        "num_classes": str(len(rm.classes)),
        "img_size": str(rm.img_size),
        "mean": json.dumps(list(rm.spec.mean)),
        "std": json.dumps(list(rm.spec.std)),
        "interpolation": INTERPOLATION,
        "crop_pct": "1.0",
        "preprocessing": f"RGB; {RESIZE}; scale to [0, 1]; subtract mean, divide by std; NCHW float32",
        "input": f"{INPUT_NAME}: float32 [batch, 3, {rm.img_size}, {rm.img_size}], normalised",
        "output": f"{OUTPUT_NAME}: float32 [batch, {len(rm.classes)}], softmax probabilities in the order of labels",
    }


def export_onnx(run: RunDir | str | Path, out: str | Path | None = None) -> Path:
    """Write `<out>/model.onnx` (probabilities, dynamic batch axis, metadata); return its path."""
    import onnx

    rm = load_run_model(run)
    folder = Path(out) if out else default_out(rm.run, "onnx")
    folder.mkdir(parents=True, exist_ok=True)
    model = rm.model
    fix_adaptive_pools(model, rm.img_size)
    wrapped = nn.Sequential(model, nn.Softmax(dim=1)).eval()
    example = torch.randn(1, 3, rm.img_size, rm.img_size, generator=torch.Generator().manual_seed(0))
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the legacy-exporter deprecation notice and tracer warnings
            torch.onnx.export(
                wrapped,
                (example,),
                buffer,
                dynamo=False,
                opset_version=ONNX_OPSET,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            )
        proto = onnx.load_from_string(buffer.getvalue())
    except CnnappError:
        raise
    except Exception as exc:  # the exporter raises many types for unsupported operators
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportError(
            f"{rm.spec.name} could not be exported to ONNX ({first[:200]}); "
            "the model folder (--format safetensors) works for every architecture"
        ) from None
    onnx.helper.set_model_props(proto, onnx_metadata(rm))
    proto.doc_string = (
        f"{rm.spec.name} trained with cnnapp {cnnapp.__version__} (run {rm.run.id}); "
        "input normalised NCHW, output softmax probabilities"
    )
    onnx.checker.check_model(proto)
    target = folder / "model.onnx"
    with atomic_write(target) as tmp:
        onnx.save(proto, str(tmp))
    return target


def read_onnx_metadata(path: str | Path) -> dict[str, str]:
    """The metadata_props of an exported ONNX file (labels etc. as JSON strings)."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}
