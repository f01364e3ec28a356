"""Take a trained model away: ONNX, a self-contained model folder (timm-compatible), the Hugging Face Hub.

Two formats, both at the run's image size and with its classes and normalisation written in, one module each:

- `onnx` (`export.onnx`): `model.onnx`, fp32, softmax probabilities, a dynamic batch axis, the preprocessing in its
  metadata.
- `safetensors` (`export.folder`): a model folder of `model.safetensors`, timm's `config.json` and a model card
  `README.md` (`export.card`) with the run's metrics; `load_exported` loads it for every architecture.

`export.hub` pushes a model folder to the Hub; `export.run_model` is the trained model and preprocessing every format
describes. Import from those modules; this package holds the format switch and `load_exported`, whose path
`cnnapp.serving.export.load_exported` the model cards and the Export tab give people.
"""

from __future__ import annotations

from pathlib import Path

from cnnapp.errors import ExportError
from cnnapp.runs import RunDir
from cnnapp.serving.export.folder import export_folder, load_exported
from cnnapp.serving.export.onnx import export_onnx

__all__ = ["FORMATS", "export_run", "load_exported"]

FORMATS = ("onnx", "safetensors")


def export_run(run: RunDir | str | Path, fmt: str, out: str | Path | None = None) -> Path:
    """Export in `fmt` (onnx → the .onnx file, safetensors → the folder)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}")
    return export_onnx(run, out) if fmt == "onnx" else export_folder(run, out)
