"""Take a trained model away: ONNX, a self-contained model folder (timm-compatible), the Hugging Face Hub.

Two formats, both at the run's image size and with its classes and normalisation written in, one module each:

- `onnx` (`export.onnx`): `model.onnx`, fp32, softmax probabilities, a dynamic batch axis, the preprocessing in its
  metadata; optionally `model.int8.onnx` too, quantised, with a card saying its size and agreement.
- `safetensors` (`export.folder`): a model folder of `model.safetensors`, timm's `config.json` and a model card
  `README.md` (`export.card`) with the run's metrics; `load_exported` loads it for every architecture.

`export.hub` pushes a model folder to the Hub; `export.run_model` is the trained model and preprocessing every format
describes. Import from those modules; this package holds the format switch and `load_exported`, whose path
`cnnapp.serving.export.load_exported` the model cards and the Export tab give people.
"""

from __future__ import annotations

from pathlib import Path

from cnnapp.errors import ExportError
from cnnapp.messages import msg
from cnnapp.runs import RunDir
from cnnapp.serving.export.folder import export_folder, load_exported
from cnnapp.serving.export.onnx import export_onnx

__all__ = ["FORMATS", "export_run", "load_exported"]

FORMATS = ("onnx", "safetensors")


def export_run(run: RunDir | str | Path, fmt: str, out: str | Path | None = None, int8: bool = False) -> Path:
    """Export in `fmt` (onnx → the .onnx file, the int8 one with `int8`; safetensors → the folder)."""
    if fmt not in FORMATS:
        raise ExportError(msg("export.unknown_format", fmt=fmt, choices=list(FORMATS)))
    if int8 and fmt != "onnx":
        raise ExportError(msg("export.int8_onnx"))
    return export_onnx(run, out, int8) if fmt == "onnx" else export_folder(run, out)
